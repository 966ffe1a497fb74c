/**
 * TLS it cannot set up: a peer's certificate it does not trust or that names another host, or its
 * own certificate and key it cannot load. Trust stores, names and mounted files are the same on
 * every start, so these escalate.
 */
import { lead, lineHit, quoteHit, unfixable, type CatalogEntry } from './rule-kit.js';
import { extractPath, extractUrlHost } from '../evidence-text.js';

/** The peer's name is not on its certificate. Go, Node, Python, Java, curl, .NET. */
const TLS_NAME = /certificate is valid for .+, not \S+|certificate is not valid for any names|doesn't contain any IP SANs|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|hostname '[^']+' doesn't match|Hostname mismatch|No subject alternative (?:DNS )?names? (?:matching .+ )?(?:present|found)|No name matching \S+ found|no alternative certificate subject name matches|RemoteCertificateNameMismatch/i;
/** The peer's certificate chain ends at an authority it does not trust. */
const TLS_UNTRUSTED_CA = /certificate signed by unknown authority|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|self[- ]signed certificate in certificate chain|Error: self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|unable to (?:verify the first certificate|get local issuer certificate)|CERTIFICATE_VERIFY_FAILED|certificate verify failed|PKIX path building failed|unable to find valid certification path|RemoteCertificateChainErrors|remote certificate is invalid according to the validation procedure/i;
/**
 * A peer that reports our certificate bad (`TLS handshake error from 10.0.0.5:41234: remote error:
 * tls: unknown certificate authority`) is a client's trust store, not this container failing.
 */
const PEER_SAID = /handshake error from|remote error:|alert (?:unknown ca|bad certificate)/i;
const TLS_UNTRUSTED = new RegExp(`${TLS_NAME.source}|${TLS_UNTRUSTED_CA.source}`, 'i');

export const tlsUntrusted: CatalogEntry = {
  id: 'tls-untrusted',
  failureClass: 'environment',
  // The trust store is in the image and the name in the configuration: both are the same on the
  // next start, and the peer presents the same certificate.
  restartCannotFix: true,
  settled: true,
  // Exits only: a running service that logs it for one outbound call (a user's webhook to a
  // self-signed host) keeps serving, and its errors are reported as logged errors.
  match: (ctx) => (ctx.exited ? lineHit(ctx, TLS_UNTRUSTED, PEER_SAID) : undefined),
  build(ctx, found) {
    const line = found.line ?? '';
    const named = line.match(/certificate is valid for (.+?), not ([^\s"',)]+)/i);
    const host = named?.[2] ?? extractUrlHost(line) ?? line.match(/hostname '([^']+)'/i)?.[1];
    if (TLS_NAME.test(line) && !TLS_UNTRUSTED_CA.test(line)) {
      return unfixable(ctx, {
        root_cause: `${lead(ctx, ' because')} the TLS certificate ${host ? `presented by ${host}` : 'of a server it connects to'} does not name the host it connects to${named ? ` (it is valid for ${named[1]})` : ''}.${quoteHit(found)}`,
        suggested_fix: `Connect by a name the certificate covers (the service's public name, not a container name or IP${host ? `, instead of ${host}` : ''}), or reissue the certificate with that name in its subjectAltName; then re-create the container. Do not turn verification off.`,
        config_suggestions: ['Keep the host names services use for each other in one place, and issue certificates for exactly those names.'],
      });
    }
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it does not trust the TLS certificate ${host ? `presented by ${host}` : 'of a server it connects to'}: the chain ends at an authority missing from its trust store (a private or self-signed CA, a TLS-inspecting proxy, or an image without CA certificates).${quoteHit(found)}`,
      suggested_fix: `Add the CA that signed ${host ? `${host}'s` : 'the server\'s'} certificate to the image's trust store (install ca-certificates; copy the CA into /usr/local/share/ca-certificates and run update-ca-certificates; NODE_EXTRA_CA_CERTS, SSL_CERT_FILE or REQUESTS_CA_BUNDLE, or a Java truststore), or give the server a certificate from a CA the image trusts; then re-create the container. Do not turn verification off.`,
      config_suggestions: ['Build the CA bundle into the image (or mount it) rather than fetching it at start-up.'],
    });
  },
};

/** Its own certificate or key it cannot load: nginx, Apache, HAProxy, Traefik, Envoy, Node, Go. */
const CERT_LOAD = /cannot load certificate(?: key)?\b|(?:cannot|could not|unable to|failed to) (?:load|read|open|find|stat|parse) (?:the |its )?(?:SSL |TLS |x509 )?(?:server )?(?:certificate|cert|private key|key file|keypair|key pair)s?\b|SSL_CTX_use_(?:PrivateKey|certificate)\w* failed|PEM_read_bio\w*|key values mismatch|private key does not match public key|tls: failed to find any PEM data|SSLCertificateFile: file '[^']+' does not exist/i;

export const certificateLoad: CatalogEntry = {
  id: 'certificate-load',
  failureClass: 'environment',
  // The files come from the image or a mount; the next start reads the same path.
  restartCannotFix: true,
  settled: true,
  match: (ctx) => (ctx.exited ? lineHit(ctx, CERT_LOAD) : undefined),
  build(ctx, found) {
    const line = found.line ?? '';
    const path = extractPath(line);
    const missing = /no such file|does not exist|not found|ENOENT/i.test(line);
    const mismatch = /key values mismatch|does not match/i.test(line);
    const why = missing
      ? 'the file is not there (a volume not mounted, or another file name)'
      : mismatch
        ? 'the private key does not belong to the certificate'
        : 'the file is not a readable PEM certificate or key (empty, wrong format, or a key with a passphrase)';
    return unfixable(ctx, {
      root_cause: `${lead(ctx, ' because')} it cannot load its TLS certificate or key${path ? ` (${path})` : ''}: ${why}.${quoteHit(found)}`,
      suggested_fix: missing
        ? `Mount the certificate and key where the configuration expects them${path ? ` (${path})` : ''}: check the volume source on the host and the file names (docker inspect -f '{{json .Mounts}}' ${ctx.name}); then re-create the container.`
        : mismatch
          ? 'Pair the certificate with its own key (openssl x509 -noout -pubkey -in CERT and openssl pkey -pubout -in KEY must print the same key), then re-create the container.'
          : `Check the file${path ? ` ${path}` : ''} (openssl x509 -in FILE -noout -text; a key without a passphrase), replace it, then re-create the container.`,
      config_suggestions: ['Check the configuration with the certificates mounted before deploying (nginx -t, haproxy -c).'],
    });
  },
};
