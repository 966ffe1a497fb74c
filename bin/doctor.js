#!/bin/sh
":" //#; i=0; n=$#; while [ "$i" -lt "$n" ]; do a=$1; shift; case $a in --env-file) a=--doctor-env-file ;; --env-file=*) a="--doctor-env-file=${a#--env-file=}" ;; esac; set -- "$@" "$a"; i=$((i + 1)); done; exec node "$0" "$@"
// The lines above are shell and a JavaScript no-op at once. Node 20 reads `--env-file` anywhere
// in its argv, even after the script (`doctor history --env-file /missing` printed "node:
// /missing: not found" and exited 9), so the shell renames our flag before node sees it; the
// CLI accepts both spellings. Run as `node bin/doctor.js`, this file is plain JavaScript:
// CommonJS (bin/package.json), like the shell it runs, so `doctor --help` never starts Node's ES
// module loader (scripts/bundle.mjs).
require('../dist/doctor.cjs').main(process.argv);
