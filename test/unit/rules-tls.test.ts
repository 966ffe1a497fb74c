import { certificateLoad, tlsUntrusted } from '../../src/core/rules/tls.js';
import { makeRunningFacts, makeTrigger } from '../helpers/facts.js';
import { exited, logs, testRuleRows, type RuleRow } from '../helpers/rule-rows.js';

const rows: RuleRow[] = [
  {
    name: 'Go: x509 certificate signed by unknown authority names the host and the trust store',
    facts: exited(1),
    evidence: logs('level=fatal msg="cannot reach registry" error="Get \\"https://registry.internal.example/v2/\\": x509: certificate signed by unknown authority"'),
    expect: { rule: 'tls-untrusted', cannotFix: true, safe: false, failureClass: 'environment', says: ['registry.internal.example', 'trust store'] },
  },
  {
    name: "Node: SELF_SIGNED_CERT_IN_CHAIN on the code line after the message",
    facts: exited(1),
    evidence: logs('Error: self-signed certificate in certificate chain', '    at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34)', "  code: 'SELF_SIGNED_CERT_IN_CHAIN'"),
    expect: { rule: 'tls-untrusted', cannotFix: true, says: ['trust store'] },
  },
  {
    name: 'Python requests: CERTIFICATE_VERIFY_FAILED, unable to get local issuer certificate',
    facts: exited(1),
    evidence: logs("requests.exceptions.SSLError: HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded with url: /v1 (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)')))"),
    expect: { rule: 'tls-untrusted', cannotFix: true },
  },
  {
    name: 'Java: PKIX path building failed',
    facts: exited(1),
    evidence: logs('javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target'),
    expect: { rule: 'tls-untrusted', cannotFix: true },
  },
  {
    name: 'Go: certificate is valid for another name: the host names both',
    facts: exited(1),
    evidence: logs('Get "https://db.internal:8443/health": tls: failed to verify certificate: x509: certificate is valid for api.example.com, www.example.com, not db.internal'),
    expect: { rule: 'tls-untrusted', cannotFix: true, says: ['does not name the host', 'db.internal', 'api.example.com'] },
  },
  {
    name: 'Node: ERR_TLS_CERT_ALTNAME_INVALID',
    facts: exited(1),
    evidence: logs("Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: db. is not in the cert's altnames: DNS:postgres.example.com"),
    expect: { rule: 'tls-untrusted', cannotFix: true, says: ['does not name the host'] },
  },
  {
    name: "a server that logs a client rejecting its certificate is not failing on its own trust",
    facts: exited(1),
    evidence: logs('http: TLS handshake error from 10.0.0.5:41234: remote error: tls: unknown certificate authority', 'panic: boom'),
    expect: { rule: 'exit-error' },
  },
  {
    name: 'a running service that logs one untrusted webhook host keeps serving: logged errors, not an escalation',
    facts: makeRunningFacts(),
    trigger: makeTrigger('log-pattern'),
    evidence: logs('ERROR webhook delivery failed: Post "https://hooks.customer.example/x": x509: certificate signed by unknown authority'),
    expect: { rule: 'errors-logged' },
  },
  {
    name: 'nginx cannot load its certificate: the mount is missing',
    facts: exited(1),
    evidence: logs('nginx: [emerg] cannot load certificate "/etc/nginx/certs/x.pem": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(/etc/nginx/certs/x.pem, r) error:10000080:BIO routines::no such file)'),
    expect: { rule: 'certificate-load', cannotFix: true, safe: false, failureClass: 'environment', says: ['/etc/nginx/certs/x.pem', 'not there'] },
  },
  {
    name: 'nginx: the key does not belong to the certificate',
    facts: exited(1),
    evidence: logs('nginx: [emerg] SSL_CTX_use_PrivateKey("/etc/nginx/certs/x.key") failed (SSL: error:05800074:x509 certificate routines::key values mismatch)'),
    expect: { rule: 'certificate-load', cannotFix: true, says: ['does not belong'] },
  },
  {
    name: 'Go: tls: failed to find any PEM data in certificate input',
    facts: exited(1),
    evidence: logs('level=fatal msg="loading TLS keypair: tls: failed to find any PEM data in certificate input"'),
    expect: { rule: 'certificate-load', cannotFix: true },
  },
];

testRuleRows('tls', [tlsUntrusted, certificateLoad], rows);
