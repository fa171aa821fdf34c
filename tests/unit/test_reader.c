/* test_reader.c — the bounds-checked reader: every get fails cleanly on a
 * short read without moving, and carving confines a child to its bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reader.h"

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_integers_big_endian(void **state)
{
	struct wire_reader r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	(void)state;

	wire_init(&r, bytes, sizeof(bytes));
	assert_int_equal(wire_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(wire_get_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(wire_get_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(wire_left(&r), 2);
	/* a short read fails and does not move */
	assert_int_equal(wire_get_u32(&r, &u32), -1);
	assert_int_equal(wire_get_u64(&r, &u64), -1);
	assert_int_equal(wire_left(&r), 2);
	wire_init(&r, bytes, sizeof(bytes));
	assert_int_equal(wire_get_u64(&r, &u64), 0);
	assert_true(u64 == 0x0102030405060708ull);
	assert_int_equal(wire_get_u16(&r, &u16), -1);
	assert_int_equal(wire_get_u8(&r, &u8), 0);
	assert_true(wire_done(&r));
	assert_int_equal(wire_get_u8(&r, &u8), -1);
}

static void test_sub_confines_child(void **state)
{
	struct wire_reader r, c;
	uint32_t u32;
	uint16_t u16;
	(void)state;

	wire_init(&r, bytes, sizeof(bytes));
	assert_int_equal(wire_skip(&r, 1), 0);
	assert_int_equal(wire_sub(&r, 3, &c), 0);
	assert_int_equal(wire_left(&r), 5);
	/* the child sees exactly 3 bytes even though more follow in memory */
	assert_int_equal(wire_get_u32(&c, &u32), -1);
	assert_int_equal(wire_get_u16(&c, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(wire_left(&c), 1);
	/* a lying length cannot carve past the end */
	assert_int_equal(wire_sub(&r, 6, &c), -1);
	assert_int_equal(wire_left(&r), 5);
	assert_int_equal(wire_sub(&r, 5, &c), 0);
	assert_true(wire_done(&r));
	assert_int_equal(wire_sub(&r, 0, &c), 0);
	assert_true(wire_done(&c));
}

static void test_bytes_copy_peek(void **state)
{
	struct wire_reader r;
	const uint8_t *p;
	uint8_t buf[4], u8;
	uint16_t u16;
	(void)state;

	wire_init(&r, bytes, sizeof(bytes));
	assert_int_equal(wire_peek_u8(&r, 8, &u8), 0);
	assert_int_equal(u8, 0x09);
	assert_int_equal(wire_peek_u8(&r, 9, &u8), -1);
	assert_int_equal(wire_peek_u16(&r, 7, &u16), 0);
	assert_int_equal(u16, 0x0809);
	assert_int_equal(wire_peek_u16(&r, 8, &u16), -1);
	assert_int_equal(wire_peek_u16(&r, SIZE_MAX, &u16), -1);
	assert_int_equal(wire_get_bytes(&r, 2, &p), 0);
	assert_ptr_equal(p, bytes);
	assert_int_equal(wire_copy(&r, buf, 4), 0);
	assert_memory_equal(buf, bytes + 2, 4);
	assert_int_equal(wire_copy(&r, buf, 4), -1);
	assert_int_equal(wire_get_bytes(&r, SIZE_MAX, &p), -1);
	assert_int_equal(wire_skip(&r, SIZE_MAX), -1);
	assert_int_equal(wire_left(&r), 3);
	assert_ptr_equal(wire_cur(&r), bytes + 6);
}

static void test_empty(void **state)
{
	struct wire_reader r;
	uint8_t u8;
	(void)state;

	wire_init(&r, NULL, 0);
	assert_true(wire_done(&r));
	assert_int_equal(wire_get_u8(&r, &u8), -1);
	assert_int_equal(wire_peek_u8(&r, 0, &u8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers_big_endian),
		cmocka_unit_test(test_sub_confines_child),
		cmocka_unit_test(test_bytes_copy_peek),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
