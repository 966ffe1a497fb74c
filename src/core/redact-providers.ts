/**
 * Credential formats of known providers, anchored on each provider's fixed prefix or shape.
 *
 * Which formats exist, and their shapes, follow the rule sets of the maintained secret scanners
 * (gitleaks' config/gitleaks.toml and secretlint's recommended preset); the patterns are ours.
 * Each rule is gated by its literal keywords (exact case), so a line without any of them costs nothing.
 */
import { looksRandom } from './entropy.js';
import { marker, rx, TOKEN_END, TOKEN_START, type Rule } from './redact-rule.js';

interface Format {
  readonly kind: string;
  readonly keywords: readonly string[];
  readonly source: string;
  /** Extra check on the matched token (shape alone is not enough). */
  readonly accept?: (token: string) => boolean;
  /** The keyword is a name somewhere on the line (`twilio`, `discord`), not the token's prefix. */
  readonly named?: true;
}

const B62 = 'A-Za-z0-9';
const B64URL = 'A-Za-z0-9_\\-';

const FORMATS: readonly Format[] = [
  { kind: 'anthropic-key', keywords: ['sk-ant-'], source: `sk-ant-[${B64URL}]{16,}` },
  {
    kind: 'openai-key',
    keywords: ['sk-'],
    source: `sk-(?:proj-|svcacct-|admin-|None-)?[${B64URL}]{20,}`,
    accept: (t) => looksRandom(t.slice(3)),
  },
  { kind: 'aws-access-key-id', keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'APKA'], source: '(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}' },
  { kind: 'github-token', keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], source: `(?:gh[pousr]_[${B62}]{30,}|github_pat_[${B62}_]{40,})` },
  { kind: 'gitlab-token', keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glsoat-', 'glcbt-', 'glimt-', 'glagent-', 'gloas-', 'glft-', 'glffct-', 'GR1348941'], source: `(?:gl(?:pat|dt|rt|ptt|soat|cbt|imt|agent|oas|ft|ffct)-[${B64URL}.]{20,}|GR1348941[${B64URL}]{20,})` },
  { kind: 'slack-token', keywords: ['xox', 'xapp-'], source: `(?:xox[abposre]-[${B62}-]{10,}|xapp-\\d-[${B62}-]{10,})` },
  { kind: 'slack-webhook', named: true, keywords: ['hooks.slack.com'], source: 'https?://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+' },
  { kind: 'discord-webhook', named: true, keywords: ['discord'], source: 'https?://(?:(?:canary|ptb)\\.)?discord(?:app)?\\.com/api/(?:v\\d+/)?webhooks/\\d+/[A-Za-z0-9_-]+' },
  { kind: 'discord-token', named: true, keywords: ['discord', 'Discord', 'DISCORD', 'Bot '], source: `[MNO][${B64URL}]{23,25}\\.[${B64URL}]{6}\\.[${B64URL}]{27,38}`, accept: looksRandom },
  { kind: 'stripe-key', keywords: ['_live_', '_test_', 'whsec_'], source: `(?:(?:sk|rk|pk)_(?:live|test)_[${B62}]{16,}|whsec_[${B62}]{20,})` },
  { kind: 'google-api-key', keywords: ['AIza'], source: `AIza[${B64URL}]{35}` },
  { kind: 'google-oauth', keywords: ['ya29.', 'GOCSPX-'], source: `(?:ya29\\.[${B64URL}]{20,}|GOCSPX-[${B64URL}]{20,})` },
  { kind: 'npm-token', keywords: ['npm_'], source: `npm_[${B62}]{36}` },
  { kind: 'pypi-token', keywords: ['pypi-'], source: `pypi-AgE[${B64URL}]{50,}` },
  { kind: 'rubygems-key', keywords: ['rubygems_'], source: 'rubygems_[a-f0-9]{48}' },
  { kind: 'huggingface-token', keywords: ['hf_', 'api_org_'], source: `(?:hf_|api_org_)[${B62}]{30,}` },
  { kind: 'sendgrid-key', keywords: ['SG.'], source: `SG\\.[${B64URL}]{16,}\\.[${B64URL}]{16,}` },
  { kind: 'brevo-key', keywords: ['xkeysib-', 'xsmtpsib-'], source: 'x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}' },
  { kind: 'mailgun-key', keywords: ['key-'], source: 'key-[a-f0-9]{32}' },
  { kind: 'mailchimp-key', named: true, keywords: ['-us'], source: '[a-f0-9]{32}-us\\d{1,2}' },
  { kind: 'digitalocean-token', keywords: ['_v1_'], source: 'do[opr]_v1_[a-f0-9]{64}' },
  { kind: 'shopify-token', keywords: ['shpat_', 'shpss_', 'shpca_', 'shppa_'], source: 'shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}' },
  { kind: 'telegram-token', keywords: [':AA'], source: `(?<![0-9])[0-9]{8,10}:AA[${B64URL}]{33}` },
  { kind: 'heroku-key', keywords: ['HRKU-'], source: `HRKU-(?:AA)?[${B64URL}]{40,}` },
  { kind: 'vault-token', keywords: ['hvs.', 'hvb.', 'hvr.'], source: `hv[sbr]\\.[${B64URL}]{20,}` },
  { kind: 'vault-token', named: true, keywords: ['vault', 'Vault', 'VAULT'], source: `(?<![A-Za-z0-9_.-])[sb]\\.[${B62}]{24}`, accept: looksRandom },
  // Twilio auth tokens are bare 32-hex strings (like an MD5): only redacted on a line that names Twilio.
  { kind: 'twilio-auth-token', named: true, keywords: ['twilio', 'Twilio', 'TWILIO'], source: '(?<=[Tt][Ww][Ii][Ll][Ii][Oo][^\\n]{0,160})[0-9a-f]{32}' },
  { kind: 'twilio-key', keywords: ['SK'], source: 'SK[0-9a-fA-F]{32}' },
  { kind: 'sentry-token', keywords: ['sntrys_', 'sntryu_', 'sntrya_'], source: `sntry[sua]_[${B64URL}=]{30,}` },
  { kind: 'notion-token', keywords: ['secret_', 'ntn_'], source: `(?:secret_[${B62}]{43}|ntn_[${B62}]{40,})` },
  { kind: 'age-secret-key', keywords: ['AGE-SECRET-KEY-1'], source: 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}' },
  { kind: 'linear-key', keywords: ['lin_api_', 'lin_oauth_'], source: `lin_(?:api|oauth)_[${B62}]{40}` },
  { kind: 'postman-key', keywords: ['PMAK-'], source: 'PMAK-[a-f0-9]{24}-[a-f0-9]{34}' },
  { kind: 'doppler-token', keywords: ['dp.'], source: `dp\\.(?:pt|st|sa|ct|scim|audit)\\.[${B62}]{40,}` },
  { kind: 'pulumi-token', keywords: ['pul-'], source: 'pul-[a-f0-9]{40}' },
  { kind: 'terraform-token', keywords: ['.atlasv1.'], source: `[${B62}]{14}\\.atlasv1\\.[${B64URL}=]{60,}` },
  { kind: 'databricks-token', keywords: ['dapi'], source: 'dapi[a-f0-9]{32}(?:-\\d)?' },
  { kind: 'grafana-token', keywords: ['glc_', 'glsa_', 'eyJrIjoi'], source: `(?:glc_[${B62}+/]{32,}={0,2}|glsa_[${B62}]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[${B62}+/]{50,}={0,2})` },
  { kind: 'newrelic-key', keywords: ['NRAK-', 'NRJS-', 'NRII-'], source: '(?:NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[A-Za-z0-9_-]{32})' },
  { kind: 'square-token', keywords: ['sq0atp-', 'sq0csp-', 'EAAA'], source: `(?:sq0(?:atp|csp)-[${B64URL}]{22,}|EAAA[${B64URL}+=]{60})` },
  { kind: 'facebook-token', keywords: ['EAA'], source: `EAA[MC][${B62}]{100,}` },
  { kind: 'atlassian-token', keywords: ['ATATT3', 'ATBB'], source: `(?:ATATT3[${B64URL}=]{150,}|ATBB[${B62}]{32})` },
  { kind: 'alibaba-key', keywords: ['LTAI'], source: `LTAI[${B62}]{20}` },
  { kind: 'flutterwave-key', keywords: ['FLWSECK', 'FLWPUBK'], source: '(?:FLWSECK|FLWPUBK)(?:_TEST)?-[a-hA-H0-9]{32}-X' },
  { kind: 'dynatrace-token', keywords: ['dt0c01.'], source: 'dt0c01\\.[A-Z0-9]{24}\\.[A-Z0-9]{64}' },
  { kind: 'easypost-key', keywords: ['EZAK', 'EZTK'], source: `EZ[AT]K[${B62}]{54}` },
  { kind: 'planetscale-token', keywords: ['pscale_'], source: `pscale_(?:tkn|pw|oauth)_[${B64URL}.=]{32,64}` },
  { kind: 'prefect-key', keywords: ['pnu_'], source: `pnu_[${B62}]{36}` },
  { kind: 'readme-key', keywords: ['rdme_'], source: 'rdme_[a-z0-9]{70}' },
  { kind: 'typeform-token', keywords: ['tfp_'], source: `tfp_[${B64URL}.]{59}` },
  { kind: 'airtable-token', keywords: ['pat'], source: `pat[${B62}]{14}\\.[a-f0-9]{64}` },
  { kind: 'clojars-token', keywords: ['CLOJARS_'], source: 'CLOJARS_[a-z0-9]{60}' },
  { kind: 'duffel-token', keywords: ['duffel_'], source: `duffel_(?:test|live)_[${B64URL}=]{43}` },
  { kind: 'flyio-token', keywords: ['fo1_', 'fm1', 'fm2_', 'FlyV1'], source: `(?:fo1_[${B64URL}]{43}|fm[12][ar]?_[${B62}+/]{100,}={0,3}|FlyV1 fm\\d+_[${B62}+/,=_-]{40,})` },
  { kind: 'jfrog-key', keywords: ['AKC', 'cmVmdGtuOjAxOj'], source: `(?:AKC[${B62}]{69}|cmVmdGtuOjAxOj[${B62}]{50})` },
  { kind: 'openshift-token', keywords: ['sha256~'], source: `sha256~[${B64URL}]{43}` },
  { kind: '1password-token', keywords: ['ops_eyJ', 'A3-'], source: `(?:ops_eyJ[${B62}+/]{250,}={0,3}|A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})` },
  { kind: 'octopus-key', keywords: ['API-'], source: 'API-[A-Z0-9]{26}' },
  { kind: 'infracost-key', keywords: ['ico-'], source: `ico-[${B62}]{32}` },
  { kind: 'harness-token', keywords: ['pat.', 'sat.'], source: `(?:pat|sat)\\.[${B64URL}]{22}\\.[a-z0-9]{24}\\.[${B62}]{20}` },
  { kind: 'sourcegraph-token', keywords: ['sgp_'], source: `sgp_(?:[a-fA-F0-9]{16}_)?[a-fA-F0-9]{40}` },
  { kind: 'perplexity-key', keywords: ['pplx-'], source: `pplx-[${B62}]{48}` },
  { kind: 'groq-key', keywords: ['gsk_'], source: `gsk_[${B62}]{48,}` },
  { kind: 'xai-key', keywords: ['xai-'], source: `xai-[${B62}]{60,}` },
  { kind: 'replicate-token', keywords: ['r8_'], source: `r8_[${B62}]{37}` },
  { kind: 'langsmith-key', keywords: ['lsv2_'], source: 'lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}' },
  { kind: 'tailscale-key', keywords: ['tskey-'], source: `tskey-(?:auth|api|client|scim|webhook)?-?[${B62}]{6,}-[${B62}]{20,}` },
  { kind: 'supabase-token', keywords: ['sbp_', 'sb_secret_'], source: `(?:sbp_[a-f0-9]{40}|sb_secret_[${B64URL}]{20,})` },
  { kind: 'netlify-token', keywords: ['nfp_'], source: `nfp_[${B62}]{36}` },
  { kind: 'render-key', keywords: ['rnd_'], source: `rnd_[${B62}]{28,}` },
  { kind: 'azure-ad-secret', keywords: ['Q~'], source: '[A-Za-z0-9_~.]{3}\\dQ~[A-Za-z0-9_~.-]{31,34}' },
  { kind: 'twitter-bearer', keywords: ['AAAAAAAAAAAAAAAAAAAAA'], source: 'A{22}[A-Za-z0-9%]{80,}' },
  { kind: 'mapbox-token', keywords: ['sk.eyJ', 'pk.eyJ'], source: `[sp]k\\.eyJ[${B64URL}]{20,}\\.[${B64URL}]{20,}` },
  { kind: 'shippo-token', keywords: ['shippo_'], source: 'shippo_(?:live|test)_[a-f0-9]{40}' },
  { kind: 'scalingo-token', keywords: ['tk-us-'], source: `tk-us-[${B64URL}]{48}` },
  { kind: 'yandex-key', keywords: ['AQVN', 'y0_'], source: `(?:AQVN[${B64URL}]{35,38}|y0_[${B64URL}]{55})` },
  { kind: 'settlemint-token', keywords: ['sm_pat_', 'sm_aat_', 'sm_sat_'], source: 'sm_(?:pat|aat|sat)_[a-zA-Z0-9]{16}' },
  { kind: 'jwt', keywords: ['eyJ'], source: `eyJ[${B64URL}]{5,}\\.eyJ[${B64URL}]{5,}\\.[${B64URL}]*` },
  { kind: 'azure-storage-key', keywords: ['AccountKey=', 'SharedAccessKey='], source: '(?<=(?:AccountKey|SharedAccessKey)=)[A-Za-z0-9+/]{20,}={0,2}' },
];

function toRule(format: Format): Rule {
  const accept = format.accept;
  return {
    kind: format.kind,
    keywords: format.keywords,
    pattern: rx(`${TOKEN_START}(?:${format.source})${TOKEN_END}`),
    scope: format.named ? 'line' : 'token',
    replace: accept ? (m) => (accept(m[0]) ? marker(format.kind) : m[0]) : undefined,
  };
}

/** The provider rules, most specific first (an Anthropic key is not reported as an OpenAI one). */
export const PROVIDER_RULES: readonly Rule[] = FORMATS.map(toRule);

/** How many provider formats are known (the corpus test checks it covers 60+ kinds). */
export const PROVIDER_KINDS: readonly string[] = [...new Set(FORMATS.map((f) => f.kind))];
