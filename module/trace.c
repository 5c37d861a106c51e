// SPDX-License-Identifier: GPL-2.0
/* The tracepoints of ghost_trace.h, defined once here. */
#define CREATE_TRACE_POINTS
#include "ghost_trace.h"
