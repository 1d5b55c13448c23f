package diagnose

// Codes are the stable tokens of docs/diagnosis.md, one per cause; they
// appear unchanged in every output format. Renaming one is a breaking
// change.
const (
	// Mutual TLS.
	CodeClientCertMissing           = "client_cert_missing"
	CodeClientCertIssuerNotAccepted = "client_cert_issuer_not_accepted"
	CodeClientCertUntrusted         = "client_cert_untrusted"
	CodeClientCertExpired           = "client_cert_expired"
	CodeClientCertBadSignature      = "client_cert_bad_signature"
	CodeClientCertRejected          = "client_cert_rejected"
	CodeServerAlertEncrypted        = "server_alert_encrypted"

	// The client rejected the server.
	CodeServerCertUntrusted    = "server_cert_untrusted"
	CodeServerCertNameMismatch = "server_cert_name_mismatch"
	CodeServerCertExpired      = "server_cert_expired"
	CodeServerCertNotYetValid  = "server_cert_not_yet_valid"
	CodeServerCertRejected     = "server_cert_rejected"
	CodeClientAlertEncrypted   = "client_alert_encrypted"
	CodeNoCommonCipher         = "no_common_cipher"
	CodeNoCommonVersion        = "no_common_version"
	CodeInsufficientSecurity   = "insufficient_security"
	CodeNoApplicationProtocol  = "no_application_protocol"
	CodeUnrecognizedName       = "unrecognized_name"
	CodeInappropriateFallback  = "inappropriate_fallback"
	CodeHelloRetryFailed       = "hello_retry_failed"
	CodeAlert                  = "alert"

	// Silence, resets and other protocols.
	CodeServerSilent = "server_silent"
	CodeServerReset  = "server_reset"
	CodeServerNotTLS = "server_not_tls"
	CodeClientNotTLS = "client_not_tls"
	CodeClientSilent = "client_silent"
	CodeHandshakeCut = "handshake_cut_short"
	CodeCaptureGap   = "capture_gap"
	CodeCaptureLate  = "capture_began_late"

	// Order violations and keys.
	CodeOrderViolation = "order_violation"
	CodeMalformedTLS   = "malformed_tls"
	CodeBadFinished    = "finished_mismatch"
	CodeBadRecordMAC   = "record_mac_failure"

	// Findings on established connections.
	CodeLegacyVersion   = "legacy_version"
	CodeWeakCipher      = "weak_cipher"
	CodeExpiredCert     = "expired_certificate"
	CodeNoSNI           = "no_sni"
	CodeOverlapMismatch = "overlap_mismatch"
)
