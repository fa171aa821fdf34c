/* bmp_collector.h — the BMP source: a TCP listener (default port 1790)
 * that accepts routers streaming BMP (RFC 7854, 8671, 9069) and applies
 * what they report to the model (ctx->model). */
#ifndef CW_BMP_COLLECTOR_H
#define CW_BMP_COLLECTOR_H

#include "module.h"

extern const struct cw_module bmp_collector_module;

#endif
