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

#endif
