/* writer.h — big-endian (network order) stores into a buffer the caller
 * has sized: the counterpart of reader.h for the codecs that build packets
 * (STAMP, ICMP echo). No bounds checks here: encoders check the length
 * once before writing. */
#ifndef CW_WIRE_WRITER_H
#define CW_WIRE_WRITER_H

#include <stdint.h>

static inline void wire_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wire_put_u32(uint8_t *p, uint32_t v)
{
	wire_put_u16(p, (uint16_t)(v >> 16));
	wire_put_u16(p + 2, (uint16_t)v);
}

#endif
