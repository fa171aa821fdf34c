/*
 * Linked into every executable of the ThreadSanitizer build only (CW_TSAN).
 *
 * Debian's librdkafka runs its threads with C11 <threads.h>. glibc's
 * thrd_create, mtx_* and cnd_* call its pthread code internally, so
 * ThreadSanitizer's pthread interceptors never see them: a thread that TSan
 * did not start crashes in its allocator (google/sanitizers#1195, #1603),
 * and locks it does not see would be reported as races. These definitions
 * take precedence over glibc's (the executable comes first in symbol
 * lookup) and forward each call to the pthread function that TSan
 * intercepts. glibc's threads.h types have the layout of the pthread ones
 * (glibc's own implementation casts them the same way).
 */
#include <errno.h>
#include <pthread.h>
#include <sanitizer/tsan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

struct tsan_c11_start {
	thrd_start_t func;
	void *arg;
};

static int tsan_c11_result(int err)
{
	switch (err) {
	case 0: return thrd_success;
	case EBUSY: return thrd_busy;
	case ETIMEDOUT: return thrd_timedout;
	case ENOMEM: return thrd_nomem;
	default: return thrd_error;
	}
}

/* thrd_join reads the int result back from the pointer, as glibc does */
static void *tsan_c11_trampoline(void *p)
{
	struct tsan_c11_start s = *(struct tsan_c11_start *)p;

	free(p);
	return (void *)(intptr_t)s.func(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
	struct tsan_c11_start *s = malloc(sizeof(*s));
	int err;

	if (!s)
		return thrd_nomem;
	s->func = func;
	s->arg = arg;
	err = pthread_create(thr, NULL, tsan_c11_trampoline, s);
	if (err)
		free(s);
	return tsan_c11_result(err);
}

int thrd_join(thrd_t thr, int *res)
{
	void *r;
	int err = pthread_join(thr, &r);

	if (!err && res)
		*res = (int)(intptr_t)r;
	return tsan_c11_result(err);
}

int thrd_detach(thrd_t thr)
{
	return tsan_c11_result(pthread_detach(thr));
}

int mtx_init(mtx_t *m, int type)
{
	pthread_mutexattr_t a;
	int err;

	if (type & ~(mtx_recursive | mtx_timed))
		return thrd_error;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, type & mtx_recursive ? PTHREAD_MUTEX_RECURSIVE
							  : PTHREAD_MUTEX_NORMAL);
	err = pthread_mutex_init((pthread_mutex_t *)m, &a);
	pthread_mutexattr_destroy(&a);
	/* A mutex is published to other threads after its init; librdkafka
	 * publishes its partitions' mutexes (made on a broker thread) under
	 * its rwlocks, which TSan does not see (tsan.supp: called_from_lib).
	 * The init releases, every lock acquires: that order, and no other. */
	__tsan_release(m);
	return tsan_c11_result(err);
}

int mtx_lock(mtx_t *m)
{
	__tsan_acquire(m);
	return tsan_c11_result(pthread_mutex_lock((pthread_mutex_t *)m));
}

int mtx_trylock(mtx_t *m)
{
	__tsan_acquire(m);
	return tsan_c11_result(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_unlock(mtx_t *m)
{
	return tsan_c11_result(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m)
{
	pthread_mutex_destroy((pthread_mutex_t *)m);
}

int cnd_init(cnd_t *c)
{
	return tsan_c11_result(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int cnd_signal(cnd_t *c)
{
	return tsan_c11_result(pthread_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c)
{
	return tsan_c11_result(pthread_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
	return tsan_c11_result(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
	return tsan_c11_result(pthread_cond_timedwait((pthread_cond_t *)c,
						      (pthread_mutex_t *)m, ts));
}

void cnd_destroy(cnd_t *c)
{
	pthread_cond_destroy((pthread_cond_t *)c);
}

void call_once(once_flag *flag, void (*func)(void))
{
	pthread_once((pthread_once_t *)flag, func);
}
