/* gp_srv_tls.c: --tls-cert and --tls-key, checked before anything listens.
 *
 * libwebsockets loads the files itself when it creates the TLS vhost, but
 * when that fails it only logs OpenSSL's error queue and returns NULL, which
 * the server could report as nothing better than "could not listen".  So the
 * files are read here first, with OpenSSL, and every way they can be wrong
 * gets a sentence naming the flag and the file: unreadable (with errno),
 * not a PEM certificate, not a PEM private key (an encrypted key included:
 * there is nobody to type a pass phrase), or a key that is not the
 * certificate's.  A certificate that has expired or is not valid yet is
 * served anyway (tests use such things on purpose) but announced with a
 * WARNING line. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gp_srv.h"
#include "gp_srv_log.h"

/* OpenSSL asks this for the pass phrase of an encrypted key: there is none. */
static int no_pass_phrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)u = 1; /* the key is encrypted */
    return -1;
}

static FILE *open_or_explain(const char *flag, const char *path, char *msg, size_t len)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        f = NULL;
        errno = EISDIR;
    }
    if (!f)
        snprintf(msg, len, "%s %s: cannot read it: %s", flag, path, strerror(errno));
    return f;
}

bool gp_srv_tls_check(const gp_srv_options *opt, char *msg, size_t len)
{
    FILE *f = open_or_explain("--tls-cert", opt->tls_cert, msg, len);
    if (!f)
        return false;
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (!cert) {
        snprintf(msg, len, "--tls-cert %s: not a PEM certificate (expected a "
                           "\"-----BEGIN CERTIFICATE-----\" block)", opt->tls_cert);
        return false;
    }
    f = open_or_explain("--tls-key", opt->tls_key, msg, len);
    if (!f) {
        X509_free(cert);
        return false;
    }
    int encrypted = 0;
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, no_pass_phrase, &encrypted);
    fclose(f);
    ERR_clear_error();
    bool ok = false;
    if (!key && encrypted)
        snprintf(msg, len, "--tls-key %s: the private key is encrypted; goldpath-server "
                           "needs it unencrypted (e.g. openssl pkey -in KEY -out KEY.plain)",
                 opt->tls_key);
    else if (!key)
        snprintf(msg, len, "--tls-key %s: not a PEM private key (expected a "
                           "\"-----BEGIN PRIVATE KEY-----\" block)", opt->tls_key);
    else if (X509_check_private_key(cert, key) != 1)
        snprintf(msg, len, "--tls-key %s is not the private key of the certificate in "
                           "--tls-cert %s", opt->tls_key, opt->tls_cert);
    else
        ok = true;
    ERR_clear_error();
    if (ok && X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
        gp_srv_logf(opt->log_level, GP_LOG_WARNING,
                    "The certificate in --tls-cert %s has expired: clients will refuse it",
                    opt->tls_cert);
    else if (ok && X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
        gp_srv_logf(opt->log_level, GP_LOG_WARNING,
                    "The certificate in --tls-cert %s is not valid yet: clients will refuse it",
                    opt->tls_cert);
    EVP_PKEY_free(key);
    X509_free(cert);
    return ok;
}
