#ifndef KRPC_CZOOKEEPER_SHIM_H
#define KRPC_CZOOKEEPER_SHIM_H
/* The synchronous API (zoo_create, zoo_get_children, ...) is only declared under THREADED.
   The define must live here: cSettings never reach Swift's import of this header. */
#define THREADED 1
#include <zookeeper/zookeeper.h>

/* ZOO_OPEN_ACL_UNSAFE is a mutable global; hand out its address through a function so Swift 6
   does not see shared mutable state. The library only reads it. */
static inline struct ACL_vector *czk_open_acl_unsafe(void) { return &ZOO_OPEN_ACL_UNSAFE; }
#endif
