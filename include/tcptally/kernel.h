/*
 * kernel.c: the kernel's TCP counters, gauges and limits that a sample
 * keeps beside its counts, and the pure parsers of the /proc files they come
 * from. One table (TT_KSTATS) names each: its name in the database and the
 * report, the file and the field it is read from, and whether it is a
 * cumulative counter (read as a rate) or a gauge.
 */
#ifndef TCPTALLY_KERNEL_H
#define TCPTALLY_KERNEL_H

#include <stddef.h>
#include <stdint.h>

enum { KS_NETSTAT, KS_SNMP, KS_SOCKSTAT, KS_SOCKSTAT6, KS_NFILES };
enum { KS_COUNTER, KS_GAUGE };

/* name, file, the line's prefix there, the field, kind */
#define TT_KSTATS(X) \
	X(ListenOverflows, KS_NETSTAT, "TcpExt", "ListenOverflows", KS_COUNTER) \
	X(ListenDrops, KS_NETSTAT, "TcpExt", "ListenDrops", KS_COUNTER) \
	X(TCPTimeWaitOverflow, KS_NETSTAT, "TcpExt", "TCPTimeWaitOverflow", KS_COUNTER) \
	X(TCPAbortOnMemory, KS_NETSTAT, "TcpExt", "TCPAbortOnMemory", KS_COUNTER) \
	X(TCPAbortOnTimeout, KS_NETSTAT, "TcpExt", "TCPAbortOnTimeout", KS_COUNTER) \
	X(TCPAbortOnData, KS_NETSTAT, "TcpExt", "TCPAbortOnData", KS_COUNTER) \
	X(TCPAbortOnClose, KS_NETSTAT, "TcpExt", "TCPAbortOnClose", KS_COUNTER) \
	X(TCPReqQFullDrop, KS_NETSTAT, "TcpExt", "TCPReqQFullDrop", KS_COUNTER) \
	X(SyncookiesSent, KS_NETSTAT, "TcpExt", "SyncookiesSent", KS_COUNTER) \
	X(TCPBacklogDrop, KS_NETSTAT, "TcpExt", "TCPBacklogDrop", KS_COUNTER) \
	X(ActiveOpens, KS_SNMP, "Tcp", "ActiveOpens", KS_COUNTER) \
	X(PassiveOpens, KS_SNMP, "Tcp", "PassiveOpens", KS_COUNTER) \
	X(AttemptFails, KS_SNMP, "Tcp", "AttemptFails", KS_COUNTER) \
	X(EstabResets, KS_SNMP, "Tcp", "EstabResets", KS_COUNTER) \
	X(RetransSegs, KS_SNMP, "Tcp", "RetransSegs", KS_COUNTER) \
	X(InErrs, KS_SNMP, "Tcp", "InErrs", KS_COUNTER) \
	X(OutRsts, KS_SNMP, "Tcp", "OutRsts", KS_COUNTER) \
	X(tcp_inuse, KS_SOCKSTAT, "TCP", "inuse", KS_GAUGE) \
	X(tcp_orphan, KS_SOCKSTAT, "TCP", "orphan", KS_GAUGE) \
	X(tcp_tw, KS_SOCKSTAT, "TCP", "tw", KS_GAUGE) \
	X(tcp_alloc, KS_SOCKSTAT, "TCP", "alloc", KS_GAUGE) \
	X(tcp_mem, KS_SOCKSTAT, "TCP", "mem", KS_GAUGE) \
	X(tcp6_inuse, KS_SOCKSTAT6, "TCP6", "inuse", KS_GAUGE)

#define TT_KSTAT_ENUM_(name, file, prefix, field, kind)	KS_##name,
enum { TT_KSTATS(TT_KSTAT_ENUM_) TT_NKSTATS };
#undef TT_KSTAT_ENUM_

/* The limits, kept as they change: name, the file under /proc/sys, which value in it. */
#define TT_KLIMITS(X) \
	X(ip_local_port_range_min, "net/ipv4/ip_local_port_range", 0) \
	X(ip_local_port_range_max, "net/ipv4/ip_local_port_range", 1) \
	X(tcp_max_tw_buckets, "net/ipv4/tcp_max_tw_buckets", 0) \
	X(tcp_max_orphans, "net/ipv4/tcp_max_orphans", 0) \
	X(somaxconn, "net/core/somaxconn", 0) \
	X(tcp_fin_timeout, "net/ipv4/tcp_fin_timeout", 0) \
	X(tcp_mem_min, "net/ipv4/tcp_mem", 0) \
	X(tcp_mem_pressure, "net/ipv4/tcp_mem", 1) \
	X(tcp_mem_max, "net/ipv4/tcp_mem", 2)

#define TT_KLIMIT_ENUM_(name, path, index)	KL_##name,
enum { TT_KLIMITS(TT_KLIMIT_ENUM_) TT_NKLIMITS };
#undef TT_KLIMIT_ENUM_

/* Values read, each with whether the kernel has it: one it lacks is absent, not 0. */
struct kstat {
	int64_t		 v[TT_NKSTATS];
	uint32_t	 have;		/* bit i: v[i] was read */
};

struct klimits {
	int64_t		 v[TT_NKLIMITS];
	uint32_t	 have;
};

const char	*kstat_name(int i);		/* "ListenOverflows"; NULL out of range */
int		 kstat_kind(int i);		/* KS_COUNTER or KS_GAUGE */
int		 kstat_file(int i);		/* KS_NETSTAT ... */
int		 kstat_from_name(const char *name);	/* -1 if unknown */
const char	*klimit_name(int i);
const char	*klimit_path(int i);		/* under /proc/sys */
int		 klimit_index(int i);
/* The SQL list of the kstats' columns, as state_sql does the states'. */
size_t		 kstat_sql(char *buf, size_t len, const char *sep, const char *tmpl, int first);

/*
 * SQL that sums the hourly_kernel rows of the hours [from, to) (whole
 * hours) again from the samples, as the trigger sample_to_hourly_kernel
 * (schema/0003) adds them one by one: after an import or a removal.
 */
size_t		 kernel_rollup_sql(char *buf, size_t len, int64_t from, int64_t to);

/*
 * Pure: the kstats of one file's text into k. /proc/net/netstat and snmp
 * hold pairs of lines, "Prefix: names..." then "Prefix: values..."; sockstat
 * holds "Prefix: name value name value ...". A field the text lacks stays
 * absent. 0, or -1 with why ("TcpExt: 118 names but 117 values") when the
 * text is not what the kernel writes; what was read before that is kept.
 */
int		 kstat_parse(int file, const char *buf, size_t len, struct kstat *k,
		     char *why, size_t whylen);
/* Pure: a /proc/sys file's text: the index-th whitespace-separated number. */
int		 klimit_parse(const char *buf, size_t len, int index, int64_t *out);

#endif
