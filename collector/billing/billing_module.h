/* billing_module.h — the billing module: once a second it reads the
 * traffic per circuit (cw_ctx.traffic), advances each circuit's billing cycle with
 * the wall clock, prices the cycle under the circuit's plan and its
 * alternatives, publishes the billing metrics, and saves the state every
 * billing.persist_interval and at stop (restored at start). Runs after the
 * sources in the daemon's module table. */
#ifndef CW_BILLING_MODULE_H
#define CW_BILLING_MODULE_H

#include "module.h"

extern const struct cw_module billing_module;

#endif
