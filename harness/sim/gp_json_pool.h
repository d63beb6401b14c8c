/* gp_json_pool.h: a small-block allocator for jansson in the simulator.
 *
 * A simulated golden path encodes and parses 16 JSON messages; jansson makes
 * about a dozen small allocations for each, so malloc and free were a tenth
 * of the simulator's time.  This pool keeps freed blocks on per-size free
 * lists and carves new ones from large slabs.  jansson's allocator hook
 * (json_set_alloc_funcs) takes no context pointer, so the pool is the one
 * piece of process-wide state in the harness: installed once, before any
 * JSON is made, by the goldpath command, and never removed (blocks made by
 * it may be freed at any later time).  Single-threaded, like the simulator.
 * It changes how fast memory is found, never what any run computes. */
#ifndef GP_JSON_POOL_H
#define GP_JSON_POOL_H

/* Installs the pool as jansson's allocator.  Call once, before any jansson
 * call; later calls do nothing. */
void gp_json_pool_install(void);

#endif
