/* Out-of-line wrappers for DPDK's static-inline fast-path functions and
 * macros, which bindgen cannot bind. Each one is a direct call-through. */
#ifndef FERROSWITCH_DPDK_SHIM_H
#define FERROSWITCH_DPDK_SHIM_H

#include <stdint.h>
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_thread.h>
#include <rte_version.h>
#include <rte_eth_vhost.h>

uint16_t fs_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
uint16_t fs_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
struct rte_mbuf *fs_pktmbuf_alloc(struct rte_mempool *mp);
int fs_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **mbufs, unsigned n);
void fs_pktmbuf_free(struct rte_mbuf *m);
/* Start of the packet data and its length in the first segment. */
uint8_t *fs_pktmbuf_data(struct rte_mbuf *m);
uint16_t fs_pktmbuf_data_len(const struct rte_mbuf *m);
uint32_t fs_pktmbuf_pkt_len(const struct rte_mbuf *m);
uint16_t fs_pktmbuf_nb_segs(const struct rte_mbuf *m);
uint16_t fs_pktmbuf_headroom(const struct rte_mbuf *m);
uint16_t fs_pktmbuf_tailroom(const struct rte_mbuf *m);
/* NULL (prepend/append) or negative (adj/trim) when there is no room. */
uint8_t *fs_pktmbuf_prepend(struct rte_mbuf *m, uint16_t len);
uint8_t *fs_pktmbuf_append(struct rte_mbuf *m, uint16_t len);
uint8_t *fs_pktmbuf_adj(struct rte_mbuf *m, uint16_t len);
int fs_pktmbuf_trim(struct rte_mbuf *m, uint16_t len);
void fs_prefetch0(const void *p);
uint64_t fs_rdtsc(void);
int fs_errno(void);
unsigned fs_lcore_id(void);
unsigned fs_mempool_in_use(const struct rte_mempool *mp);
unsigned fs_mempool_avail(const struct rte_mempool *mp);



/* RSS hash types to request when a port has several rx queues (macros). */
uint64_t fs_rss_hf_default(void);
#endif
