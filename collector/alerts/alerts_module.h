/* alerts_module.h — the alert rules module (evaluation timer, events,
 * metrics); the rule engine itself is alert.h. */
#ifndef CW_ALERTS_MODULE_H
#define CW_ALERTS_MODULE_H

#include "module.h"

extern const struct cw_module alerts_module;

#endif
