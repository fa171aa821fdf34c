/* http_guard.c — the connection guard of the Prometheus exporter: every
 * open connection accounted (by address, by age), the accept policy, the
 * eviction of the connection waiting longest, the request deadline thread,
 * and the start and stop of the exporter's threads.
 *
 * Against slow or many clients (slowloris): the accept policy admits at most
 * max_connections_per_address per IPv4 address or IPv6 /64 and, when all
 * max_connections are taken, makes room by closing the connection that has
 * waited longest for its request; a deadline thread shuts down every
 * connection whose request has not fully arrived request_timeout after the
 * connection opened (or after its previous request), because
 * libmicrohttpd's own timeout counts idle time only and a client sending a
 * byte now and then never idles. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_priv.h"
#include "httpauth.h"
#include "log.h"
#include "metrics.h"
#include "module.h"

static const char *const refusal_names[RF_COUNT] = {"connection_limit", "address_limit"};

static const char *const auth_result_names[AR_COUNT] = {"cache_hit", "verified", "rejected",
							 "busy"};

/* ---- request arrival and completion ----------------------------------------- */

/* The request's headers have arrived: its connection leaves the deadline. */
void http_request_arrived(struct http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct hconn *c = ci != NULL ? ci->socket_context : NULL;

	if (c == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	c->waiting = false;
	pthread_mutex_unlock(&h->lock);
}

/* A request is over (answered or aborted): the connection waits for the
 * next one, under the deadline again. */
void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		       enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct hconn *c = ci != NULL ? ci->socket_context : NULL;

	(void)toe;
	if (c != NULL) {
		pthread_mutex_lock(&h->lock);
		c->waiting = true;
		c->since = mono_now();
		pthread_mutex_unlock(&h->lock);
	}
	if (*con_cls != NULL) {
		struct hreq *rq = *con_cls;

		free(rq->hash);
		explicit_bzero(rq, sizeof(*rq));
		free(rq);
		*con_cls = NULL;
	}
}

/* ---- the accept policy ------------------------------------------------------ */

/* The per-address key: an IPv4 address (also when mapped into IPv6) or
 * the /64 of an IPv6 address, which one host usually holds whole. */
static size_t addr_key(const struct sockaddr *sa, uint8_t key[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memcpy(key, a + 12, 4);
			return 4;
		}
		memcpy(key, a, 8);
		return 8;
	}
	return 0;
}

/* Closes the live connection that has waited longest for its request
 * (under h->lock). False when every connection is busy with a request. */
static bool evict_oldest_waiting(struct http *h)
{
	struct hconn *old = NULL;

	for (struct hconn *c = h->conns; c != NULL; c = c->next)
		if (c->waiting && !c->closing && c->fd >= 0 && (old == NULL || c->since < old->since))
			old = c;
	if (old == NULL)
		return false;
	shutdown(old->fd, SHUT_RDWR);
	old->closing = true;
	h->nclosing++;
	metrics_counter_add(h->evicted, 1);
	log_kv_limited(h->ctx->log, &h->rl_refused, LOG_LVL_WARN,
		       "http connections full; closed the one waiting longest for its request",
		       (const char *)0);
	return true;
}

static void log_refused(struct http *h, enum refusal r)
{
	metrics_counter_add(h->refused[r], 1);
	log_kv_limited(h->ctx->log, &h->rl_refused, LOG_LVL_WARN, "http connection refused",
		       "reason", refusal_names[r], (const char *)0);
}

/* The connection this HTTP thread admitted last, not yet started.
 * libmicrohttpd's threads accept on one shared socket, and it calls the
 * accept policy and then the STARTED notification on the same thread: the
 * policy enters the connection at once (a reservation), so that two threads
 * admitting from one address at the same time both count it. */
static _Thread_local struct hconn *tl_reserved;

/* Enters a new connection (under h->lock), waiting for its request. */
static void conn_link(struct http *h, struct hconn *c)
{
	c->since = mono_now();
	c->waiting = true;
	c->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = c;
	h->conns = c;
	h->nconns++;
}

static void conn_unlink(struct http *h, struct hconn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h->nconns--;
	if (c->closing)
		h->nclosing--;
}

/* libmicrohttpd's accept policy, on an HTTP thread before each new
 * connection: the per-address limit, then the total. An admitted
 * connection is entered as a reservation (fd -1) that conn_started claims. */
enum MHD_Result http_on_accept(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	struct http *h = cls;
	uint8_t key[16];
	size_t klen = addr_key(sa, key), same_addr = 0;
	struct hconn *stale = tl_reserved, *c = calloc(1, sizeof(*c));
	enum MHD_Result r = MHD_YES;

	(void)salen;
	tl_reserved = NULL;
	pthread_mutex_lock(&h->lock);
	if (stale != NULL) /* admitted, then never started (libmicrohttpd failed it) */
		conn_unlink(h, stale);
	for (struct hconn *o = h->conns; o != NULL; o = o->next)
		if (!o->closing && o->addr_len == klen && memcmp(o->addr, key, klen) == 0)
			same_addr++;
	if (same_addr >= h->conf.max_connections_per_address) {
		log_refused(h, RF_ADDRESS_LIMIT);
		r = MHD_NO;
	} else if (h->nconns - h->nclosing >= h->conf.max_connections &&
		   (h->nconns + 1 >= h->conf.max_connections + HTTP_CLOSE_SLACK ||
		    !evict_oldest_waiting(h))) {
		log_refused(h, RF_CONNECTION_LIMIT);
		r = MHD_NO;
	} else if (c != NULL) {
		memcpy(c->addr, key, klen);
		c->addr_len = klen;
		c->fd = -1;
		conn_link(h, c);
		tl_reserved = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	free(c);
	free(stale);
	return r;
}

/* ---- connection accounting -------------------------------------------------- */

static void conn_started(struct http *h, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ad = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct hconn *c = tl_reserved;

	tl_reserved = NULL;
	*socket_context = c;
	if (c == NULL) {
		/* the policy could not allocate: enter it now */
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return; /* not tracked: libmicrohttpd's idle timeout still applies */
		*socket_context = c;
		c->addr_len = ad != NULL && ad->client_addr != NULL
				      ? addr_key(ad->client_addr, c->addr)
				      : 0;
		c->fd = -1;
		pthread_mutex_lock(&h->lock);
		conn_link(h, c);
		pthread_mutex_unlock(&h->lock);
	}
	pthread_mutex_lock(&h->lock);
	c->fd = fd != NULL ? fd->connect_fd : -1;
	pthread_mutex_unlock(&h->lock);
}

/* Called before libmicrohttpd closes the socket, so the deadline thread
 * never shuts down a descriptor number that was reused. */
static void conn_closed(struct http *h, struct hconn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	conn_unlink(h, c);
	pthread_mutex_unlock(&h->lock);
	free(c);
}

void http_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(h, conn, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conn_closed(h, *socket_context);
		*socket_context = NULL;
	}
}

/* ---- the deadline thread ---------------------------------------------------- */

/* The deadline thread: every tick, shuts down the connections whose
 * request has not arrived within request_timeout. libmicrohttpd sees the
 * end of the stream and closes them on its thread. */
static void *deadline_main(void *arg)
{
	struct http *h = arg;
	double limit = (double)h->conf.request_timeout_s;

	pthread_mutex_lock(&h->lock);
	while (!h->stop_deadline) {
		struct timespec until;
		double now;
		size_t n = 0;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += HTTP_DEADLINE_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->tick, &h->lock, &until);
		now = mono_now();
		for (struct hconn *c = h->conns; c != NULL; c = c->next) {
			if (!c->waiting || c->closing || c->fd < 0 || now - c->since < limit)
				continue;
			shutdown(c->fd, SHUT_RDWR);
			c->closing = true;
			h->nclosing++;
			n++;
		}
		if (n > 0) {
			char num[24];

			metrics_counter_add(h->timeouts, (double)n);
			snprintf(num, sizeof(num), "%zu", n);
			log_kv_limited(h->ctx->log, &h->rl_timeout, LOG_LVL_WARN,
				       "http request not received in time; connections closed",
				       "connections", num, (const char *)0);
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- metrics, start and stop ------------------------------------------------ */

int http_register_guard_metrics(struct http *h, struct metrics_registry *reg)
{
	struct metrics_family *refused, *timeouts, *evicted, *auth;

	refused = http_family(reg, "circuitwatch_http_connections_refused_total",
			      "HTTP connections refused on accept, by reason.", "reason");
	timeouts = http_family(reg, "circuitwatch_http_request_timeouts_total",
			       "HTTP connections closed because their request did not arrive "
			       "within prometheus.request_timeout.", NULL);
	evicted = http_family(reg, "circuitwatch_http_connections_evicted_total",
			      "HTTP connections waiting for a request closed to make room for a new "
			      "one at prometheus.max_connections.", NULL);
	auth = http_family(reg, "circuitwatch_http_auth_total",
			   "Basic-auth checks, by result.", "result");
	if (refused == NULL || timeouts == NULL || evicted == NULL || auth == NULL)
		return -1;
	for (int i = 0; i < RF_COUNT; i++)
		if ((h->refused[i] = metrics_series_get(refused, &refusal_names[i])) == NULL)
			return -1;
	for (int i = 0; i < AR_COUNT; i++)
		if ((h->auth[i] = metrics_series_get(auth, &auth_result_names[i])) == NULL)
			return -1;
	metrics_series_set_quiet(h->auth[AR_CACHE_HIT], true); /* every authorized scrape */
	h->timeouts = metrics_series_get(timeouts, NULL);
	h->evicted = metrics_series_get(evicted, NULL);
	return h->timeouts != NULL && h->evicted != NULL ? 0 : -1;
}

/* The locks, the deadline thread and (with basic auth) the hashing
 * workers and the cache. */
int http_start_guards(struct http *h)
{
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		pthread_condattr_destroy(&ca);
		return -1;
	}
	if (pthread_cond_init(&h->tick, &ca) != 0) {
		pthread_mutex_destroy(&h->lock);
		pthread_condattr_destroy(&ca);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	h->have_lock = true;
	if (pthread_mutex_init(&h->ulock, NULL) != 0)
		return -1;
	h->have_ulock = true;
	if (pthread_mutex_init(&h->alock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&h->acv, NULL) != 0) {
		pthread_mutex_destroy(&h->alock);
		return -1;
	}
	h->have_alock = true;
	if (pthread_create(&h->deadline, NULL, deadline_main, h) != 0)
		return -1;
	h->have_deadline = true;
	/* also without users: a reload may add them */
	h->cache = ha_cache_new(HTTP_AUTH_CACHE_MAX, HTTP_AUTH_CACHE_TTL);
	if (h->cache == NULL)
		return -1;
	for (; h->nworkers < HTTP_AUTH_WORKERS; h->nworkers++)
		if (pthread_create(&h->workers[h->nworkers], NULL, http_auth_worker, h) != 0)
			return -1;
	return 0;
}

/* Stops the workers, answers what they left in the queue (a suspended
 * connection must be resumed before libmicrohttpd stops), then the
 * deadline thread. */
void http_stop_guards(struct http *h)
{
	struct hreq *rq;

	if (h->have_alock) {
		pthread_mutex_lock(&h->alock);
		h->stop_auth = true;
		pthread_cond_broadcast(&h->acv);
		pthread_mutex_unlock(&h->alock);
		for (size_t i = 0; i < h->nworkers; i++)
			pthread_join(h->workers[i], NULL);
		h->nworkers = 0;
		while ((rq = h->qhead) != NULL) {
			h->qhead = rq->next;
			explicit_bzero(rq->pass, sizeof(rq->pass));
			rq->ok = false;
			rq->state = AUTH_DONE;
			MHD_resume_connection(rq->conn);
		}
		h->qtail = NULL;
		h->qlen = 0;
	}
	if (h->have_deadline) {
		pthread_mutex_lock(&h->lock);
		h->stop_deadline = true;
		pthread_cond_signal(&h->tick);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->deadline, NULL);
		h->have_deadline = false;
	}
}
