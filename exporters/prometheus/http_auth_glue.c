/* http_auth_glue.c — basic auth of the Prometheus exporter: the check of a
 * request's credentials, the worker threads that run crypt(3), the 401 and
 * 503 answers, and the configured users (copied at start, swapped on
 * reload).
 *
 * crypt(3) takes ~100 ms by design, so it runs on worker threads while the
 * connection is suspended, never on the HTTP threads; an unknown user is
 * hashed like a known one (no user enumeration by timing) and verified
 * credentials are cached under an HMAC key (httpauth.h). */
#include <crypt.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prometheus_config.h"
#include "http_priv.h"
#include "httpauth.h"
#include "log.h"
#include "module.h"

static void log_auth_failure(struct http *h, const char *user)
{
	log_kv_limited(h->ctx->log, &h->rl_auth, LOG_LVL_WARN, "http basic auth failed", "user",
		       user, (const char *)0);
}

static void count_auth(struct http *h, enum auth_result r)
{
	if (h->auth[r] != NULL)
		metrics_counter_add(h->auth[r], 1);
}

/* Copies at most 64 bytes of the user name, control bytes as '?', for logging. */
static void copy_user(char dst[65], const struct ha_cred *c)
{
	size_t n = c->user_len < 64 ? c->user_len : 64;

	for (size_t i = 0; i < n; i++)
		dst[i] = (unsigned char)c->user[i] < 0x20 ? '?' : c->user[i];
	dst[n] = '\0';
}

static ssize_t find_user(const struct http *h, const struct ha_cred *c)
{
	for (size_t i = 0; i < h->nusers; i++)
		if (strlen(h->users[i].username) == c->user_len &&
		    memcmp(h->users[i].username, c->user, c->user_len) == 0)
			return (ssize_t)i;
	return -1;
}

/* Queues rq for a worker and suspends its connection; false when the queue
 * is full. The suspension comes first so that a fast worker cannot resume
 * a connection that is not yet suspended. */
static bool auth_enqueue(struct http *h, struct MHD_Connection *conn, struct hreq *rq)
{
	pthread_mutex_lock(&h->alock);
	if (h->qlen >= HTTP_AUTH_QUEUE_MAX || h->stop_auth || h->nworkers == 0) {
		pthread_mutex_unlock(&h->alock);
		return false;
	}
	rq->conn = conn;
	rq->state = AUTH_PENDING;
	rq->next = NULL;
	MHD_suspend_connection(conn);
	if (h->qtail != NULL)
		h->qtail->next = rq;
	else
		h->qhead = rq;
	h->qtail = rq;
	h->qlen++;
	pthread_cond_signal(&h->acv);
	pthread_mutex_unlock(&h->alock);
	return true;
}

/* Starts the basic-auth check of a request: decided at once (no or bad
 * credentials, a password with a NUL byte, a cache hit, a full queue) or
 * handed to a worker (rq->state becomes AUTH_PENDING). The header is
 * decoded with its length, so a NUL inside the password is seen. True when
 * handed to a worker: from then on the worker owns rq until it resumes the
 * connection, so the caller must not read rq->state to learn it. */
bool http_auth_begin(struct http *h, struct MHD_Connection *conn, struct hreq *rq)
{
	struct ha_cred *c = NULL;
	const char *v = NULL;
	size_t vlen = 0;
	bool queued = false;
	ssize_t u;

	rq->state = AUTH_DONE;
	rq->ok = false;
	pthread_mutex_lock(&h->ulock);
	if (h->nusers == 0) {
		rq->ok = true; /* no basic auth configured */
		goto out;
	}
	c = malloc(sizeof(*c));
	if (c == NULL)
		goto out;
	if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
					  strlen(MHD_HTTP_HEADER_AUTHORIZATION), &v,
					  &vlen) != MHD_YES ||
	    v == NULL || ha_parse_basic(v, vlen, c) != 0) {
		log_auth_failure(h, "");
		goto out;
	}
	copy_user(rq->user, c);
	/* crypt(3) stops at NUL: "abc\0xyz" would pass as "abc" */
	if (memchr(c->pass, '\0', c->pass_len) != NULL || ha_cache_key(h->cache, c, rq->key) != 0) {
		count_auth(h, AR_REJECTED);
		log_auth_failure(h, rq->user);
		goto out;
	}
	if (ha_cache_hit(h->cache, rq->key, mono_now())) {
		count_auth(h, AR_CACHE_HIT);
		rq->ok = true;
		goto out;
	}
	u = find_user(h, c);
	rq->known = u >= 0;
	/* an unknown user costs the same hashing as a known one: the first
	 * user's hash stands in, and the answer is no whatever it says */
	rq->hash = strdup(h->users[u >= 0 ? u : 0].password_hash);
	rq->users_gen = h->users_gen;
	if (rq->hash == NULL)
		goto out;
	memcpy(rq->pass, c->pass, c->pass_len);
	rq->pass[c->pass_len] = '\0';
	queued = auth_enqueue(h, conn, rq);
	if (!queued) {
		explicit_bzero(rq->pass, sizeof(rq->pass));
		count_auth(h, AR_BUSY);
		rq->busy = true;
	}
out:
	pthread_mutex_unlock(&h->ulock);
	if (c != NULL)
		ha_cred_clean(c);
	free(c);
	return queued;
}

/* Constant-time comparison of two NUL-terminated strings. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Runs on a worker: the crypt(3) check of one queued request, then resumes
 * its connection (libmicrohttpd calls on_request again). */
static void auth_verify(struct http *h, struct hreq *rq, struct crypt_data *cd)
{
	const char *out;
	bool ok;

	if (cd != NULL) {
		memset(cd, 0, sizeof(*cd));
		out = crypt_r(rq->pass, rq->hash, cd);
		ok = out != NULL && same(out, rq->hash) && rq->known;
		explicit_bzero(cd, sizeof(*cd));
	} else {
		ok = false; /* no memory for crypt_r */
	}
	explicit_bzero(rq->pass, sizeof(rq->pass));
	/* users reloaded meanwhile: this check was against users no longer in force */
	pthread_mutex_lock(&h->ulock);
	ok = ok && rq->users_gen == h->users_gen;
	if (ok)
		ha_cache_put(h->cache, rq->key, mono_now());
	pthread_mutex_unlock(&h->ulock);
	count_auth(h, ok ? AR_VERIFIED : AR_REJECTED);
	if (!ok)
		log_auth_failure(h, rq->user);
	rq->ok = ok;
	rq->state = AUTH_DONE;
	MHD_resume_connection(rq->conn);
}

void *http_auth_worker(void *arg)
{
	struct http *h = arg;
	struct crypt_data *cd = malloc(sizeof(*cd));

	/* not niced: setpriority is outside the systemd unit's syscall filter */
	pthread_mutex_lock(&h->alock);
	while (!h->stop_auth) {
		struct hreq *rq = h->qhead;

		if (rq == NULL) {
			pthread_cond_wait(&h->acv, &h->alock);
			continue;
		}
		h->qhead = rq->next;
		if (h->qhead == NULL)
			h->qtail = NULL;
		h->qlen--;
		pthread_mutex_unlock(&h->alock);
		auth_verify(h, rq, cd);
		pthread_mutex_lock(&h->alock);
	}
	pthread_mutex_unlock(&h->alock);
	free(cd);
	return NULL;
}

enum MHD_Result http_unauthorized(struct http *h, struct MHD_Connection *conn,
				  enum handler hd, const struct hreq *rq)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	if (rq->busy) {
		resp = http_text_response("too many logins in progress; retry\n",
					  "text/plain; charset=utf-8");
		if (resp != NULL)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
		return http_queue(h, conn, hd, 503, resp);
	}
	resp = http_text_response("unauthorized\n", "text/plain; charset=utf-8");
	if (resp == NULL)
		return MHD_NO;
	http_add_headers(h, resp);
	r = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM, resp);
	MHD_destroy_response(resp);
	http_count_request(h, hd, 401);
	return r;
}

/* ---- users and reload ------------------------------------------------------- */

void http_users_free(struct cfg_basic_auth_user *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].username);
		free(u[i].password_hash);
	}
	free(u);
}

/* Copies the configured users into *out (owned by the caller). */
int http_users_copy(const struct cfg_prometheus *pc, struct cfg_basic_auth_user **out,
		    size_t *n)
{
	struct cfg_basic_auth_user *u = NULL;

	*out = NULL;
	*n = 0;
	if (pc->nusers == 0)
		return 0;
	u = calloc(pc->nusers, sizeof(*u));
	if (u == NULL)
		return -1;
	for (size_t i = 0; i < pc->nusers; i++) {
		u[i].username = strdup(pc->users[i].username);
		u[i].password_hash = strdup(pc->users[i].password_hash);
		if (u[i].username == NULL || u[i].password_hash == NULL) {
			http_users_free(u, i + 1);
			return -1;
		}
	}
	*out = u;
	*n = pc->nusers;
	return 0;
}

/* Basic-auth users apply at once: the verified-credential cache is
 * emptied with them, so a removed user or changed password stops working
 * now. The listener, TLS and limits belong to libmicrohttpd's thread:
 * changing them needs a restart. Says which settings were not applied. */
int http_apply_users(struct cw_ctx *ctx, struct http *h, const struct cfg_prometheus *pc)
{
	struct cfg_basic_auth_user *u, *old;
	size_t n, nold;
	char num[24];

	if (http_users_copy(pc, &u, &n) != 0)
		return -1;
	pthread_mutex_lock(&h->ulock);
	old = h->users;
	nold = h->nusers;
	h->users = u;
	h->nusers = n;
	h->users_gen++;
	ha_cache_clear(h->cache);
	pthread_mutex_unlock(&h->ulock);
	http_users_free(old, nold);
	snprintf(num, sizeof(num), "%zu", n);
	log_info(ctx->log, "basic auth users reloaded; credential cache emptied", "users", num);
	return 0;
}
