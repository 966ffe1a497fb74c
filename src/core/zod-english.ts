/**
 * zod's mini API sets no locale, so its own messages ("Invalid input: expected string, received
 * number") would all read "Invalid input". Every module that declares a schema imports this one,
 * which sets English, the only language the doctor speaks, once per process.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
