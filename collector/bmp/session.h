/* session.h — one router's BMP session turned into model updates. Pure:
 * framed messages in, model changes out; no sockets (the listener owns
 * those), so whole byte streams are unit-tested.
 *
 * Ownership: the session borrows the model and the router (both outlive
 * it). Per-peer decode state lives with the model's peers. */
#ifndef CW_BMP_SESSION_H
#define CW_BMP_SESSION_H

#include <stddef.h>
#include <stdint.h>

struct model;
struct model_router;
struct bmp_session;

/* Returns a session for router r, owned by the caller, or NULL. */
struct bmp_session *bmp_session_new(struct model *m, struct model_router *r);
void bmp_session_free(struct bmp_session *s); /* takes NULL */

/* Applies one framed BMP message (bmp_frame said COMPLETE) at time now.
 * Returns 0 to go on, 1 when the router sent a Termination (the caller
 * closes the connection). A malformed message is counted and skipped; it
 * never ends the session. */
int bmp_session_message(struct bmp_session *s, const uint8_t *msg, size_t len, double now);

/* Consumes whole messages from a byte stream: applies each complete one and
 * returns the bytes consumed; *status is 0 (need more), 1 (Termination) or
 * -1 (framing lost: unsupported version or a bad length; close). max_msg is
 * the cap on one message. */
size_t bmp_session_feed(struct bmp_session *s, const uint8_t *buf, size_t len, size_t max_msg,
			double now, int *status);

/* As bmp_session_feed, but applies at most max_msgs messages (the listener's
 * unit of work between two looks at the clock); *nmsgs is how many it
 * applied. *status 0 means "need more" or "max_msgs reached". The
 * messages' route changes are applied in batches (bgp/ingest.h), every one
 * of them before this returns, with the outcome of one message at a time. */
size_t bmp_session_feed_some(struct bmp_session *s, const uint8_t *buf, size_t len,
			     size_t max_msg, double now, size_t max_msgs, size_t *nmsgs,
			     int *status);

/* ---- pieces of the listener's stream handling, pure so they are tested ---- */

/* The identity a connection's first message (framed, len bytes) gives it:
 * RFC 7854 §4.3 makes the Initiation the first message, so its sysName
 * (truncated to n - 1 bytes) names the router; "" when the message is no
 * Initiation or carries no sysName. Returns 1 for an Initiation, else 0. */
int bmp_first_sys_name(const uint8_t *msg, size_t len, char *out, size_t n);

/* Skips whole messages of a superseded connection without applying them:
 * returns the bytes consumed, *nmsgs the messages skipped, *status as
 * bmp_session_feed (0 or -1). */
size_t bmp_stream_skip(const uint8_t *buf, size_t len, size_t max_msg, size_t *nmsgs,
		       int *status);

/* The buffer capacity a connection needs to finish the partial message in
 * buf[0..len): the length its common header announces (RFC 7854 §4.1) when
 * that is known and valid, else base (the header is not complete, or the
 * framing is lost and the next feed says so). Never below base or len+1. */
size_t bmp_buffer_want(const uint8_t *buf, size_t len, size_t max_msg, size_t base);

#endif
