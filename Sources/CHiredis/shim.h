#ifndef KRPC_CHIREDIS_SHIM_H
#define KRPC_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>

/* redisContext.errstr is a char[128], which Swift imports as a 128-tuple. */
static inline const char *chr_context_errstr(const redisContext *c) { return c->errstr; }

/* redisReader.errstr likewise (redisReaderGetError is a macro). */
static inline const char *chr_reader_errstr(const redisReader *r) { return r->errstr; }
#endif
