/* gp_live_tls.c: checks a wss:// server's certificate before a live run
 * starts, with OpenSSL directly, so that a certificate that will not verify
 * stops the run with one clear message (what failed, and the flags that
 * fix it) instead of thousands of clients failing their handshakes. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "gp_error.h"
#include "gp_live_int.h"

static int connect_tcp(const gp_live_url *u, int timeout_ms)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", u->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(u->host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int gp_live_tls_probe(const gp_live_url *u, const gp_live_options *opt, char *err,
                      size_t err_len)
{
    const char *name = opt->tls_sni ? opt->tls_sni : u->host;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, err_len, "cannot make a TLS context");
        return GP_ERR_CRYPTO;
    }
    int rc = GP_ERR_INVALID_ARG;
    SSL *ssl = NULL;
    int fd = -1;
    if (opt->tls_ca ? SSL_CTX_load_verify_locations(ctx, opt->tls_ca, NULL) != 1
                    : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(err, err_len, "--tls-ca %s: cannot read a CA certificate from it",
                 opt->tls_ca ? opt->tls_ca : "(the system's)");
        goto out;
    }
    if (opt->tls_cert && (SSL_CTX_use_certificate_chain_file(ctx, opt->tls_cert) != 1 ||
                          SSL_CTX_use_PrivateKey_file(ctx, opt->tls_key, SSL_FILETYPE_PEM) != 1 ||
                          SSL_CTX_check_private_key(ctx) != 1)) {
        snprintf(err, err_len, "--tls-cert %s / --tls-key %s: not a PEM certificate and its "
                               "private key", opt->tls_cert, opt->tls_key);
        goto out;
    }
    SSL_CTX_set_verify(ctx, opt->tls_insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    fd = connect_tcp(u, 5000);
    if (fd < 0) {
        snprintf(err, err_len, "cannot reach %s:%d", u->host, u->port);
        rc = GP_ERR_NOT_FOUND;
        goto out;
    }
    ssl = SSL_new(ctx);
    if (!ssl)
        goto out;
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, name);
    if (!opt->tls_insecure) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        struct in6_addr ip;
        if (inet_pton(AF_INET, name, &ip) == 1 || inet_pton(AF_INET6, name, &ip) == 1)
            X509_VERIFY_PARAM_set1_ip_asc(param, name);
        else
            X509_VERIFY_PARAM_set1_host(param, name, 0);
    }
    if (SSL_connect(ssl) != 1) {
        long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK)
            snprintf(err, err_len, "TLS: the certificate of %s:%d does not verify: %s; trust its "
                                   "CA with --tls-ca FILE%s, or, for a test server only, "
                                   "--insecure",
                     u->host, u->port, X509_verify_cert_error_string(v),
                     v == X509_V_ERR_HOSTNAME_MISMATCH ? " and name it with --tls-sni NAME" : "");
        else {
            char why[256];
            ERR_error_string_n(ERR_get_error(), why, sizeof(why));
            snprintf(err, err_len, "TLS: the handshake with %s:%d failed: %s (is it a wss:// "
                                   "server?)", u->host, u->port, why);
        }
        goto out;
    }
    rc = GP_OK;
out:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}
