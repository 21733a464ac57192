/*
 * Config loading: the example file, defaults, and bad configs, each with the
 * exact FILE:LINE:COL messages an operator will see.  Bad configs are written
 * to "tcptally.yaml" in a private temporary directory, so the expected
 * strings carry that name as it was given.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcptally/config.h"
#include "tcptally/kernel.h"

#define F		"tcptally.yaml"
#define STATES		"ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, " \
			"FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, " \
			"LISTEN, CLOSING"
#define TOPKEYS		"database, interval, host, retention, max_size, textfile, context, " \
			"breakdown, owners, groups, thresholds, namespaces, backend"
#define MAXMSG		16

struct bad {
	const char	*name;
	const char	*yaml;
	const char	*want[MAXMSG];	/* NULL-terminated */
};

static char	 tmpdir[] = "/tmp/test_config.XXXXXX";
static char	 origdir[PATH_MAX];
static char	 example[PATH_MAX];

static void
write_file(const char *path, const char *text)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Load text as F; it must fail with exactly the messages in want. */
static void
expect_errors(const char *text, const char *const *want)
{
	struct errlist e = { 0 };
	struct config *c;
	size_t i, n;

	write_file(F, text);
	c = config_open(F, &e);
	for (n = 0; want[n] != NULL; n++)
		;
	if (e.n != n || c != NULL)
		for (i = 0; i < e.n; i++)
			print_message("got: %s\n", e.msg[i]);
	assert_null(c);
	assert_int_equal(e.n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(e.msg[i], want[i]);
	errlist_free(&e);
}

static struct config *
load_ok(const char *text)
{
	struct errlist e = { 0 };
	struct config *c;
	size_t i;

	write_file(F, text);
	c = config_open(F, &e);
	for (i = 0; i < e.n; i++)
		print_message("unexpected: %s\n", e.msg[i]);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	errlist_free(&e);
	return c;
}

static const struct bad bads[] = {
	{ "unknown_key_hint", "database: x.db\nintervall: 10s\n",
	  { F ":2:1: unknown key 'intervall' (did you mean 'interval'?)" } },
	{ "unknown_key_swap", "itnerval: 10s\n",
	  { F ":1:1: unknown key 'itnerval' (did you mean 'interval'?)" } },
	{ "unknown_key_no_hint", "colour: blue\n",
	  { F ":1:1: unknown key 'colour' (valid keys here: " TOPKEYS ")" } },
	{ "unknown_key_in_group",
	  "groups:\n  - name: web\n    local_port: [80]\n",
	  { F ":3:5: unknown key 'local_port' (did you mean 'local_ports'?)" } },
	{ "unknown_key_in_threshold",
	  "thresholds:\n  - name: t\n    state: LISTEN\n    below: 1\n"
	  "    sevrity: critical\n",
	  { F ":5:5: unknown key 'sevrity' (did you mean 'severity'?)" } },
	{ "bad_max_size", "max_size: 2 GB\n",
	  { F ":1:11: bad size '2 GB' for 'max_size': unknown size unit; use K, M, G or T, e.g. 2G" } },
	{ "tiny_max_size", "max_size: 1000\n",
	  { F ":1:11: bad size '1000' for 'max_size': a size cap below 1M cannot hold the "
	    "schema and an hour of samples; use 0 for no cap" } },
	{ "textfile_not_prom", "textfile: /tmp/x.txt\n",
	  { F ":1:11: textfile '/tmp/x.txt' must end in .prom, or node_exporter's "
	    "textfile collector ignores it" } },
	{ "unknown_key_in_retention", "retention:\n  daily: 1d\n",
	  { F ":2:3: unknown key 'daily' (valid keys here: raw, hourly)" } },
	{ "duplicate_key", "interval: 10s\nhost: a\ninterval: 20s\n",
	  { F ":3:1: duplicate key 'interval' (already set at line 1); "
	    "keep only one" } },
	{ "list_for_scalar", "interval: [10s]\n",
	  { F ":1:11: 'interval' must be a duration like 10s, not a list" } },
	{ "mapping_for_scalar", "database:\n  path: x.db\n",
	  { F ":2:3: 'database' must be a file path, not a mapping" } },
	{ "scalar_for_list", "groups: web\n",
	  { F ":1:9: 'groups' must be a list of groups (- name: web ...), "
	    "not a single value" } },
	{ "scalar_for_port_list",
	  "groups:\n  - name: web\n    local_ports: 80\n",
	  { F ":3:18: 'local_ports' must be a list of ports, e.g. [80, 443, "
	    "\"8000-8099\"], not a single value" } },
	{ "list_for_port", "groups:\n  - name: web\n    local_ports: [[80]]\n",
	  { F ":3:19: each item of 'local_ports' must be a port or a "
	    "\"LOW-HIGH\" range, not a list" } },
	{ "scalar_for_mapping", "retention: 14d\n",
	  { F ":1:12: 'retention' must be a mapping of keys, not a single "
	    "value" } },
	{ "top_not_mapping", "- interval: 10s\n",
	  { F ":1:1: the config must be a mapping of keys, not a list" } },
	{ "group_not_mapping", "groups:\n  - web\n",
	  { F ":2:5: each group in 'groups' must be a mapping of keys, not a "
	    "single value" } },
	{ "key_not_scalar", "[a, b]: 1\n",
	  { F ":1:1: a key must be a plain name, not a list" } },
	{ "duplicate_group",
	  "groups:\n  - name: web\n    local_ports: [80]\n  - name: web\n",
	  { F ":4:11: duplicate group name 'web' (first defined at line 2); "
	    "group names must be unique" } },
	{ "group_named_all", "groups:\n  - name: all\n",
	  { F ":2:11: group name 'all' is reserved for the built-in group of "
	    "every socket; choose another name" } },
	{ "group_name_empty", "groups:\n  - name: \"\"\n",
	  { F ":2:11: group name is empty; give it a name such as 'web'" } },
	{ "group_name_too_long", "groups:\n  - name: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  { F ":2:11: group name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaa' is too long (at most 63 characters)" } },
	{ "group_name_chars", "groups:\n  - name: \"web servers\"\n",
	  { F ":2:11: group name 'web servers' has invalid characters; use "
	    "only A-Z a-z 0-9 _ . -" } },
	{ "group_without_name", "groups:\n  - family: ipv4\n",
	  { F ":2:5: group has no 'name'; add one, e.g. name: web" } },
	{ "bad_cidr", "groups:\n  - name: g\n    remote_addrs: [10.0.0/8]\n",
	  { F ":3:20: bad CIDR '10.0.0/8' in remote_addrs: not an IPv4 or "
	    "IPv6 address (expected e.g. 10.0.0.0/8 or fd00::/8)" } },
	{ "cidr_prefix_too_long",
	  "groups:\n  - name: g\n    local_addrs: [\"10.0.0.0/33\", "
	  "\"fd00::/129\"]\n",
	  { F ":3:19: bad CIDR '10.0.0.0/33' in local_addrs: IPv4 prefix "
	    "length must be 0-32",
	    F ":3:34: bad CIDR 'fd00::/129' in local_addrs: IPv6 prefix "
	    "length must be 0-128" } },
	{ "cidr_bad_prefix", "groups:\n  - name: g\n    local_addrs: [\"::1/x\"]\n",
	  { F ":3:19: bad CIDR '::1/x' in local_addrs: prefix length must be "
	    "a number" } },
	{ "port_out_of_range",
	  "groups:\n  - name: g\n    local_ports: [0, 70000, \"1-65536\"]\n",
	  { F ":3:19: bad port '0' in local_ports: port outside 1-65535",
	    F ":3:22: bad port '70000' in local_ports: port outside 1-65535",
	    F ":3:29: bad port '1-65536' in local_ports: port outside "
	    "1-65535" } },
	{ "port_range_reversed",
	  "groups:\n  - name: g\n    remote_ports: [\"9000-8000\"]\n",
	  { F ":3:20: bad port '9000-8000' in remote_ports: reversed port "
	    "range; write the lower port first" } },
	{ "port_not_a_number",
	  "groups:\n  - name: g\n    local_ports: [http, \"80-\"]\n",
	  { F ":3:19: bad port 'http' in local_ports: not a port; use a number "
	    "1-65535 or a range like \"8000-8099\"",
	    F ":3:25: bad port '80-' in local_ports: not a port range; use "
	    "\"LOW-HIGH\", e.g. \"8000-8099\"" } },
	{ "interval_too_long", "interval: 2h\n",
	  { F ":1:11: interval must be between 1s and 1h, not '2h'" } },
	{ "interval_zero", "interval: 0\n",
	  { F ":1:11: interval must be between 1s and 1h, not '0'" } },
	{ "duration_negative", "interval: -5s\n",
	  { F ":1:11: bad duration '-5s' for 'interval': a duration cannot be "
	    "negative" } },
	{ "duration_unitless", "retention:\n  raw: 10\n",
	  { F ":2:8: bad duration '10' for 'retention.raw': a duration needs "
	    "a unit (s, m, h or d); only 0 may stand alone" } },
	{ "duration_bad_unit", "retention:\n  hourly: 2w\n",
	  { F ":2:11: bad duration '2w' for 'retention.hourly': unknown "
	    "duration unit; use s, m, h or d, e.g. 10s" } },
	{ "duration_empty", "interval:\n",
	  { F ":1:10: bad duration '' for 'interval': empty duration; use Ns, "
	    "Nm, Nh or Nd, e.g. 10s" } },
	{ "family_unknown", "groups:\n  - name: g\n    family: inet6\n",
	  { F ":3:13: family must be any, ipv4 or ipv6, not 'inet6'" } },
	{ "family_contradiction",
	  "groups:\n  - name: six\n    family: ipv6\n"
	  "    remote_addrs: [\"10.0.0.0/8\", \"fd00::/8\"]\n"
	  "  - name: four\n    local_addrs: [\"::1\"]\n    family: ipv4\n",
	  { F ":4:20: '10.0.0.0/8' in remote_addrs is IPv4, but this group has "
	    "family: ipv6; remove the address or use family: any",
	    F ":6:19: '::1' in local_addrs is IPv6, but this group has "
	    "family: ipv4; remove the address or use family: any" } },
	{ "unknown_state",
	  "thresholds:\n  - name: t\n    state: CLOSED\n    above: 1\n",
	  { F ":3:12: unknown state 'CLOSED' (did you mean 'CLOSE'?); use one "
	    "of: " STATES } },
	{ "unknown_state_no_hint",
	  "thresholds:\n  - name: t\n    state: BOGUS\n    above: 1\n",
	  { F ":3:12: unknown state 'BOGUS'; use one of: " STATES } },
	{ "state_lowercase",
	  "thresholds:\n  - name: t\n    state: close_wait\n    above: 1\n",
	  { F ":3:12: unknown state 'close_wait' (did you mean 'CLOSE_WAIT'?); "
	    "use one of: " STATES } },
	{ "threshold_without_state", "thresholds:\n  - name: t\n    above: 1\n",
	  { F ":2:5: threshold 't' has no 'state'; add one of: " STATES } },
	{ "threshold_without_name",
	  "thresholds:\n  - state: LISTEN\n    below: 1\n",
	  { F ":2:5: threshold has no 'name'; add one, e.g. "
	    "name: close-wait-leak" } },
	{ "threshold_no_condition",
	  "thresholds:\n  - name: t\n    state: LISTEN\n",
	  { F ":2:5: threshold 't' has no condition; add one of above, below, "
	    "growth, fill_above, oldest_above or peer_port_share_above" } },
	{ "threshold_two_conditions",
	  "thresholds:\n  - name: t\n    state: LISTEN\n    below: 1\n"
	  "    above: 5\n",
	  { F ":5:5: threshold 't': 'above' cannot be combined with 'below'; "
	    "use one threshold per condition" } },
	{ "threshold_three_conditions",
	  "thresholds:\n  - name: t\n    state: LISTEN\n    growth: 1/s\n"
	  "    window: 1m\n    above: 5\n    below: 1\n",
	  { F ":6:5: threshold 't': 'above' cannot be combined with 'growth'; "
	    "use one threshold per condition",
	    F ":7:5: threshold 't': 'below' cannot be combined with 'growth'; "
	    "use one threshold per condition" } },
	{ "growth_without_window",
	  "thresholds:\n  - name: t\n    state: CLOSE_WAIT\n    growth: 100/min\n",
	  { F ":4:5: threshold 't': 'growth' needs a 'window' to measure it "
	    "over, e.g. window: 10m" } },
	{ "window_zero",
	  "thresholds:\n  - name: t\n    state: CLOSE_WAIT\n    growth: 100/min\n"
	  "    window: 0\n",
	  { F ":5:13: 'window' must be longer than 0, e.g. window: 10m" } },
	{ "window_on_above",
	  "thresholds:\n  - name: t\n    state: TIME_WAIT\n    above: 5\n"
	  "    window: 5m\n",
	  { F ":5:5: threshold 't': 'window' only goes with 'growth'; above and "
	    "below use 'for'" } },
	{ "for_on_growth",
	  "thresholds:\n  - name: t\n    state: CLOSE_WAIT\n    growth: 2/s\n"
	  "    window: 5m\n    for: 1m\n",
	  { F ":6:5: threshold 't': 'for' only goes with 'above' or 'below'; "
	    "growth uses 'window'" } },
	{ "bad_rate",
	  "thresholds:\n  - name: t\n    state: CLOSE_WAIT\n    growth: 100/day\n"
	  "    window: 5m\n",
	  { F ":4:13: bad rate '100/day' for 'growth': unknown rate unit; use "
	    "/s, /min or /h, e.g. 100/min" } },
	{ "above_not_a_count",
	  "thresholds:\n  - name: t\n    state: LISTEN\n    above: -3\n"
	  "  - name: u\n    state: LISTEN\n    below: 1.5\n",
	  { F ":4:12: 'above' must be a non-negative integer (a socket count), "
	    "not '-3'",
	    F ":7:12: 'below' must be a non-negative integer (a socket count), "
	    "not '1.5'" } },
	{ "threshold_undefined_group",
	  "groups:\n  - name: web\nthresholds:\n  - name: t\n    group: wbe\n"
	  "    state: LISTEN\n    below: 1\n",
	  { F ":5:12: threshold 't': group 'wbe' is not defined; add it under "
	    "'groups' or use 'all'" } },
	{ "duplicate_threshold",
	  "thresholds:\n  - name: t\n    state: LISTEN\n    below: 1\n"
	  "  - name: t\n    state: TIME_WAIT\n    above: 9\n",
	  { F ":5:11: duplicate threshold name 't' (first defined at line 2); "
	    "threshold names must be unique" } },
	{ "threshold_name_chars",
	  "thresholds:\n  - name: \"a/b\"\n    state: LISTEN\n    below: 1\n",
	  { F ":2:11: threshold name 'a/b' has invalid characters; use only "
	    "A-Z a-z 0-9 _ . -" } },
	{ "bad_severity",
	  "thresholds:\n  - name: t\n    state: LISTEN\n    below: 1\n"
	  "    severity: error\n",
	  { F ":5:15: severity must be warning or critical, not 'error'" } },
	{ "empty_database", "database: \"\"\n",
	  { F ":1:11: database path is empty; give a file path, e.g. "
	    "database: tcptally.db" } },
	{ "host_too_long", "host: "
	  "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\n",
	  { F ":1:7: host label is too long (at most 63 characters)" } },
	{ "yaml_tab_indent", "groups:\n\t- name: web\n",
	  { F ":2:1: YAML syntax error: found character that cannot start any "
	    "token; indent with spaces, not tabs" } },
	{ "yaml_unclosed_list", "groups:\n  - name: web\n    local_ports: [80,\n"
	  "interval: 10s\n",
	  { F ":5:1: YAML syntax error: did not find expected ',' or ']' "
	    "(while parsing a flow sequence started at line 3)" } },
	{ "yaml_bad_indent", "interval: 10s\n  host: a\n",
	  { F ":2:7: YAML syntax error: mapping values are not allowed in "
	    "this context" } },
	{ "yaml_not_utf8", "host: \"caf\xe9\"\n",
	  { F ":1:12: not valid YAML text: invalid trailing UTF-8 octet; the "
	    "file must be UTF-8" } },
	{ "yaml_two_documents", "interval: 10s\n---\ninterval: 20s\n",
	  { F ":3:1: a second YAML document; put the whole config in one "
	    "document" } },
	{ "many_errors",
	  "intervall: 10s\n"
	  "interval: 10\n"
	  "database: \"\"\n"
	  "groups:\n"
	  "  - name: all\n"
	  "    family: ipv6\n"
	  "    local_ports: [80, \"9000-8000\"]\n"
	  "    remote_addrs: [\"10.0.0.0/8\"]\n"
	  "  - name: web\n"
	  "    local_ports: [65536]\n"
	  "thresholds:\n"
	  "  - name: leak\n"
	  "    state: CLOSE_WAT\n"
	  "    growth: 100/min\n"
	  "    severity: high\n"
	  "  - name: leak\n"
	  "    group: db\n"
	  "    state: LISTEN\n",
	  { F ":1:1: unknown key 'intervall' (did you mean 'interval'?)",
	    F ":2:11: bad duration '10' for 'interval': a duration needs a "
	    "unit (s, m, h or d); only 0 may stand alone",
	    F ":3:11: database path is empty; give a file path, e.g. "
	    "database: tcptally.db",
	    F ":5:11: group name 'all' is reserved for the built-in group of "
	    "every socket; choose another name",
	    F ":7:23: bad port '9000-8000' in local_ports: reversed port range; "
	    "write the lower port first",
	    F ":8:20: '10.0.0.0/8' in remote_addrs is IPv4, but this group has "
	    "family: ipv6; remove the address or use family: any",
	    F ":10:19: bad port '65536' in local_ports: port outside 1-65535",
	    F ":13:12: unknown state 'CLOSE_WAT' (did you mean 'CLOSE_WAIT'?); "
	    "use one of: " STATES,
	    F ":14:5: threshold 'leak': 'growth' needs a 'window' to measure it "
	    "over, e.g. window: 10m",
	    F ":15:15: severity must be warning or critical, not 'high'",
	    F ":16:5: threshold 'leak' has no condition; add one of above, "
	    "below, growth, fill_above, oldest_above or peer_port_share_above",
	    F ":16:11: duplicate threshold name 'leak' (first defined at line "
	    "12); threshold names must be unique",
	    F ":17:12: threshold 'leak': group 'db' is not defined; add it "
	    "under 'groups' or use 'all'" } },
	/* thresholds on the accept queues and the kernel's counters (issue 13) */
	{ "metric_hint", "thresholds:\n  - name: o\n    metric: ListenOverflow\n"
	  "    rate_above: 1/min\n",
	  { F ":3:13: threshold 'o': unknown metric 'ListenOverflow' (did you mean "
	    "'ListenOverflows'?); use a counter (with rate_above), such as ListenOverflows, "
	    "or tw_buckets_used or orphans_used (with above, a share of the limit)" } },
	{ "metric_gauge", "thresholds:\n  - name: o\n    metric: tcp_tw\n"
	  "    rate_above: 1/min\n",
	  { F ":3:13: threshold 'o': tcp_tw is a gauge, not a counter: it has no rate; for "
	    "TIME_WAIT buckets against their limit use metric: tw_buckets_used with above: "
	    "0.8" } },
	{ "counter_above", "thresholds:\n  - name: o\n    metric: ListenDrops\n    above: 5\n",
	  { F ":4:12: threshold 'o': a counter takes 'rate_above' (such as 1/min), not "
	    "'above'" } },
	{ "rate_without_metric", "thresholds:\n  - name: o\n    state: LISTEN\n"
	  "    rate_above: 1/min\n",
	  { F ":4:5: threshold 'o': 'rate_above' goes with a metric, such as metric: "
	    "ListenOverflows" } },
	{ "fill_not_listen", "thresholds:\n  - name: q\n    state: ESTABLISHED\n"
	  "    fill_above: 0.9\n",
	  { F ":4:17: threshold 'q': 'fill_above' watches accept queues: it goes with "
	    "state: LISTEN" } },
	{ "fill_over_one", "thresholds:\n  - name: q\n    state: LISTEN\n    fill_above: 1.5\n",
	  { F ":4:17: 'fill_above' must be a fraction above 0 and at most 1, such as 0.9, "
	    "not '1.5'" } },
	{ "used_with_rate", "thresholds:\n  - name: u\n    metric: tw_buckets_used\n"
	  "    rate_above: 1/min\n",
	  { F ":4:5: threshold 'u': tw_buckets_used is a share of a limit: it takes 'above' "
	    "(such as 0.8), not 'rate_above'" } },
	{ "used_percent", "thresholds:\n  - name: u\n    metric: orphans_used\n    above: 80\n",
	  { F ":4:12: 'above' must be a fraction above 0 and at most 1, such as 0.9, "
	    "not '80'" } },
	{ "metric_with_group", "groups:\n  - name: web\nthresholds:\n  - name: o\n"
	  "    metric: ListenOverflows\n    group: web\n    rate_above: 1/min\n",
	  { F ":6:12: threshold 'o': a metric is the host's: 'group' does not go with it" } },
	{ "metric_with_state", "thresholds:\n  - name: o\n    metric: ListenOverflows\n"
	  "    state: LISTEN\n    rate_above: 1/min\n",
	  { F ":4:12: threshold 'o': 'state' and 'metric' cannot be combined: a metric is "
	    "the host's, not a state's" } },
	{ "metric_without_condition", "thresholds:\n  - name: o\n    metric: ListenOverflows\n",
	  { F ":3:5: threshold 'o': a metric needs its condition: rate_above for a counter, "
	    "above for tw_buckets_used or orphans_used" } },
	{ "bad_rate_above", "thresholds:\n  - name: o\n    metric: ListenOverflows\n"
	  "    rate_above: fast\n",
	  { F ":4:17: bad rate 'fast' for 'rate_above': a rate is COUNT/UNIT, e.g. 100/min "
	    "(units s, min, h)" } },
	{ "context_not_switch", "context: maybe\n",
	  { F ":1:10: 'context' is on or off, not 'maybe'" } },
	{ "breakdown_too_many", "breakdown:\n  cgroups: 101\n  peers: -1\n  owners: 3\n",
	  { F ":2:12: breakdown.cgroups keeps the top K per group and state, 0 (off) to "
	    "100, not 101",
	    F ":3:10: 'peers' must be a non-negative integer (a socket count), not '-1'",
	    F ":4:3: unknown key 'owners' (valid keys here: cgroups, peers)" } },
	{ "owners_top_zero", "owners:\n  close_wait_above: 10\n  top: 0\n",
	  { F ":3:8: owners.top is how many processes to name per group, 1 to 100, not 0" } },
	{ "breakdown_not_map", "breakdown: 20\n",
	  { F ":1:12: 'breakdown' must be a mapping of keys, not a single value" } },
	{ "port_share_not_fraction",
	  "thresholds:\n  - name: t\n    peer_port_share_above: 50%\n",
	  { F ":3:28: 'peer_port_share_above' must be a fraction above 0 and at most 1, "
	    "such as 0.9, not '50%'" } },
	{ "port_share_with_state",
	  "thresholds:\n  - name: t\n    state: TIME_WAIT\n    peer_port_share_above: 0.5\n",
	  { F ":3:12: threshold 't': 'peer_port_share_above' counts a peer's sockets in "
	    "every state: no 'state' goes with it" } },
	{ "oldest_not_close_wait",
	  "thresholds:\n  - name: t\n    state: TIME_WAIT\n    oldest_above: 10m\n",
	  { F ":4:19: threshold 't': 'oldest_above' watches how long sockets have been "
	    "stuck in CLOSE_WAIT: it goes with state: CLOSE_WAIT" } },
	{ "oldest_zero",
	  "thresholds:\n  - name: t\n    state: CLOSE_WAIT\n    oldest_above: 0\n",
	  { F ":4:19: 'oldest_above' must be longer than 0, e.g. oldest_above: 10m" } },
	{ "oldest_with_share",
	  "thresholds:\n  - name: t\n    state: CLOSE_WAIT\n    oldest_above: 10m\n"
	  "    peer_port_share_above: 0.5\n",
	  { F ":3:12: threshold 't': 'peer_port_share_above' counts a peer's sockets in "
	    "every state: no 'state' goes with it",
	    F ":5:5: threshold 't': 'peer_port_share_above' cannot be combined with "
	    "'oldest_above'; use one threshold per condition" } },
	{ "backend_bad", "backend: ebpf\n",
	  { F ":1:10: backend is auto, sock_diag or bpf, not 'ebpf'" } },
	{ "backend_list", "backend: [bpf]\n",
	  { F ":1:10: 'backend' must be auto, sock_diag or bpf, not a list" } },
	{ "namespaces_empty", "namespaces: []\n",
	  { F ":1:13: namespaces: [] samples nothing; leave the key out to sample the "
	    "collector's own namespace ([host])" } },
	{ "namespaces_scalar", "namespaces: host\n",
	  { F ":1:13: 'namespaces' must be a list of namespaces, e.g. [host, \"name:ttns-*\"], "
	    "not a single value" } },
	{ "namespaces_bad_items",
	  "namespaces: [hots, \"pid:0\", \"pid:12x\", \"name:\", \"name:a/b\", \"pid:4194305\"]\n",
	  { F ":1:14: 'hots' in namespaces is not host, all, name:GLOB or pid:N",
	    F ":1:20: 'pid:0' in namespaces: after pid: comes a process id, 1 to 4194304, "
	    "e.g. pid:1234",
	    F ":1:29: 'pid:12x' in namespaces: after pid: comes a process id, 1 to 4194304, "
	    "e.g. pid:1234",
	    F ":1:40: 'name:' in namespaces: after name: comes a glob over the names in "
	    "/run/netns (as `ip netns add NAME` makes them), 1 to 63 characters without '/', "
	    "e.g. name:\"ttns-*\"",
	    F ":1:49: 'name:a/b' in namespaces: after name: comes a glob over the names in "
	    "/run/netns (as `ip netns add NAME` makes them), 1 to 63 characters without '/', "
	    "e.g. name:\"ttns-*\"",
	    F ":1:61: 'pid:4194305' in namespaces: after pid: comes a process id, 1 to 4194304, "
	    "e.g. pid:1234" } },
	{ "namespaces_twice", "namespaces:\n  - host\n  - \"name:a*\"\n  - host\n",
	  { F ":4:5: namespaces lists 'host' twice (line 2)" } },
};

static void
test_bad(void **state)
{
	const struct bad *b = *state;

	expect_errors(b->yaml, b->want);
}

/* 65 groups: the 65th is one too many, and only it is reported. */
static void
test_too_many_groups(void **state)
{
	const char *want[] = { F ":66:5: too many groups (at most 64); merge "
	    "or remove some", NULL };
	char *text, *p;
	size_t i, len = 8 + (TT_MAX_GROUPS + 1) * 16;

	(void)state;
	assert_non_null(text = malloc(len));
	p = text + snprintf(text, len, "groups:\n");
	for (i = 0; i <= TT_MAX_GROUPS; i++)
		p += snprintf(p, len - (p - text), "  - name: g%zu\n", i);
	/* Line 1 is "groups:", group i is on line i + 2. */
	expect_errors(text, want);
	free(text);
}

static void
test_cannot_open(void **state)
{
	struct errlist e = { 0 };

	(void)state;
	assert_null(config_open("missing.yaml", &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0],
	    "missing.yaml: cannot open: No such file or directory");
	errlist_free(&e);
	assert_int_equal(mkdir("adir", 0700), 0);
	assert_null(config_open("adir", &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "adir: cannot open: Is a directory");
	errlist_free(&e);
	assert_int_equal(rmdir("adir"), 0);
}

static void
test_example(void **state)
{
	struct errlist e = { 0 };
	struct config *c;
	const struct group *g;
	const struct threshold *t;
	const uint8_t ten[4] = { 10, 0, 0, 0 };

	(void)state;
	c = config_open(example, &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_string_equal(c->path, example);
	assert_string_equal(c->database, "tcptally.db");
	assert_int_equal(c->interval, 10);
	assert_string_equal(c->host, "");
	assert_int_equal(c->retention_raw, 14 * 86400);
	assert_int_equal(c->retention_hourly, 400 * 86400);

	assert_int_equal(c->ngroups, 1);
	g = &c->groups[0];
	assert_string_equal(g->name, "web");
	assert_int_equal(g->family, FAM_ANY);
	assert_int_equal(g->nlocal_ports, 3);
	assert_int_equal(g->local_ports[0].lo, 80);
	assert_int_equal(g->local_ports[0].hi, 80);
	assert_int_equal(g->local_ports[1].lo, 443);
	assert_int_equal(g->local_ports[1].hi, 443);
	assert_int_equal(g->local_ports[2].lo, 8000);
	assert_int_equal(g->local_ports[2].hi, 8099);
	assert_int_equal(g->nremote_ports, 0);
	assert_null(g->remote_ports);
	assert_int_equal(g->nlocal_addrs, 0);
	assert_int_equal(g->nremote_addrs, 1);
	assert_int_equal(g->remote_addrs[0].family, AF_INET);
	assert_int_equal(g->remote_addrs[0].prefix, 8);
	assert_memory_equal(g->remote_addrs[0].addr, ten, 4);

	assert_int_equal(c->context, 1);
	assert_int_equal(c->breakdown_cgroups, 20);
	assert_int_equal(c->breakdown_peers, 20);
	assert_int_equal(c->nnamespaces, 1);	/* the default, written out */
	assert_int_equal(c->namespaces[0].kind, NS_HOST);
	assert_int_equal(c->nthresholds, 8);
	t = &c->thresholds[0];
	assert_string_equal(t->name, "close-wait-leak");
	assert_string_equal(t->group, "all");
	assert_int_equal(t->state, TT_CLOSE_WAIT);
	assert_true(t->has_growth && !t->has_above && !t->has_below);
	assert_true(t->growth > 100.0 / 60 - 1e-9 && t->growth < 100.0 / 60 + 1e-9);
	assert_int_equal(t->window, 600);
	assert_int_equal(t->severity, SEV_CRITICAL);
	t = &c->thresholds[1];
	assert_string_equal(t->name, "time-wait-flood");
	assert_string_equal(t->group, "all");
	assert_int_equal(t->state, TT_TIME_WAIT);
	assert_true(t->has_above && !t->has_below && !t->has_growth);
	assert_int_equal(t->above, 20000);
	assert_int_equal(t->for_secs, 300);
	assert_int_equal(t->severity, SEV_WARNING);
	t = &c->thresholds[2];
	assert_string_equal(t->name, "web-listener-gone");
	assert_string_equal(t->group, "web");
	assert_int_equal(t->state, TT_LISTEN);
	assert_true(t->has_below && !t->has_above && !t->has_growth);
	assert_int_equal(t->below, 1);
	assert_int_equal(t->for_secs, 30);
	assert_int_equal(t->severity, SEV_WARNING);
	t = &c->thresholds[3];
	assert_string_equal(t->name, "web-accept-queue-full");
	assert_string_equal(t->group, "web");
	assert_true(t->kind == TH_FILL && t->state == TT_LISTEN && t->limit == 0.9);
	assert_int_equal(t->for_secs, 60);
	assert_int_equal(t->severity, SEV_CRITICAL);
	t = &c->thresholds[4];
	assert_string_equal(t->name, "listen-overflows");
	assert_true(t->kind == TH_RATE && t->metric == KS_ListenOverflows);
	assert_true(t->limit == 1.0 / 60.0);
	assert_int_equal(t->for_secs, 300);
	t = &c->thresholds[5];
	assert_string_equal(t->name, "port-exhaustion");
	assert_true(t->kind == TH_PORT_SHARE && t->limit == 0.5 && t->for_secs == 60);
	t = &c->thresholds[6];
	assert_string_equal(t->name, "close-wait-stuck");
	assert_true(t->kind == TH_OLDEST && t->state == TT_CLOSE_WAIT && t->limit == 600.0);
	t = &c->thresholds[7];
	assert_string_equal(t->name, "time-wait-buckets");
	assert_true(t->kind == TH_USED && t->metric == USED_TW && t->limit == 0.8);

	assert_int_equal(config_group_index(c, "all"), 0);
	assert_int_equal(config_group_index(c, "web"), 1);
	assert_int_equal(config_group_index(c, "db"), -1);
	config_free(c);
	errlist_free(&e);
}

static void
check_defaults(const struct config *c)
{
	assert_string_equal(c->database, "tcptally.db");
	assert_int_equal(c->interval, 10);
	assert_string_equal(c->host, "");
	assert_int_equal(c->retention_raw, 14 * 86400);
	assert_int_equal(c->retention_hourly, 400 * 86400);
	assert_int_equal(c->ngroups, 0);
	assert_null(c->groups);
	assert_int_equal(c->nthresholds, 0);
	assert_null(c->thresholds);
}

static void
test_defaults(void **state)
{
	struct config *c;

	(void)state;
	assert_non_null(c = config_default());
	assert_null(c->path);
	check_defaults(c);
	assert_int_equal(config_group_index(c, "all"), 0);
	assert_int_equal(config_group_index(c, "web"), -1);
	config_free(c);
	config_free(NULL);

	/* Empty, comment-only and null-valued files are all defaults. */
	c = load_ok("");
	assert_string_equal(c->path, F);
	check_defaults(c);
	config_free(c);
	c = load_ok("# nothing here\n");
	check_defaults(c);
	config_free(c);
	c = load_ok("groups:\nthresholds: []\nretention:\n");
	check_defaults(c);
	config_free(c);
}

/* namespaces: every form, in order; none given is [host] (nnamespaces 0). */
static void
test_namespaces(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("namespaces: [host, \"name:ttns-*\", \"pid:1\", all, \"name:x\"]\n");
	assert_int_equal(c->nnamespaces, 5);
	assert_int_equal(c->namespaces[0].kind, NS_HOST);
	assert_int_equal(c->namespaces[1].kind, NS_NAME);
	assert_string_equal(c->namespaces[1].glob, "ttns-*");
	assert_int_equal(c->namespaces[2].kind, NS_PID);
	assert_int_equal(c->namespaces[2].pid, 1);
	assert_int_equal(c->namespaces[3].kind, NS_ALL);
	assert_string_equal(c->namespaces[4].glob, "x");
	config_free(c);
	c = load_ok("database: x.db\n");
	assert_int_equal(c->nnamespaces, 0);
	assert_int_equal(c->backend, BACKEND_AUTO);
	config_free(c);
}

/* backend: each name, and back; the default is auto. */
static void
test_backend(void **state)
{
	static const char *const names[] = { "auto", "sock_diag", "bpf" };
	char text[64];
	struct config *c;
	int b;

	(void)state;
	for (b = BACKEND_AUTO; b <= BACKEND_BPF; b++) {
		snprintf(text, sizeof(text), "backend: %s\n", names[b]);
		c = load_ok(text);
		assert_int_equal(c->backend, b);
		assert_string_equal(backend_name(c->backend), names[b]);
		assert_int_equal(backend_parse(names[b]), b);
		config_free(c);
	}
	assert_int_equal(backend_parse("BPF"), -1);
	assert_int_equal(backend_parse(""), -1);
}

static void
test_variants(void **state)
{
	struct config *c;
	const struct group *g;
	const uint8_t host4[4] = { 192, 0, 2, 7 };

	(void)state;
	c = load_ok("database: /var/lib/tcptally/t.db\ninterval: 1h\n"
	    "host: web-1\nretention: {raw: 0, hourly: 0}\n"
	    "groups:\n"
	    "  - name: v6.only_1\n    family: ipv6\n"
	    "    local_addrs: [\"::1\", \"fd00::/8\"]\n"
	    "    remote_ports: [\"1-1024\", \"65535\"]\n"
	    "  - name: v4\n    family: ipv4\n    remote_addrs: [192.0.2.7]\n"
	    "    local_ports: []\n"
	    "thresholds:\n"
	    "  - name: t\n    group: v4\n    state: SYN_RECV\n    above: 0\n"
	    "    severity: critical\n"
	    "  - name: u\n    state: ESTABLISHED\n    growth: 2/s\n"
	    "    window: 1m\n");
	assert_string_equal(c->database, "/var/lib/tcptally/t.db");
	assert_int_equal(c->interval, 3600);
	assert_string_equal(c->host, "web-1");
	assert_int_equal(c->retention_raw, 0);
	assert_int_equal(c->retention_hourly, 0);
	assert_int_equal(c->ngroups, 2);
	g = &c->groups[0];
	assert_int_equal(g->family, FAM_IPV6);
	assert_int_equal(g->nlocal_addrs, 2);
	assert_int_equal(g->local_addrs[0].family, AF_INET6);
	assert_int_equal(g->local_addrs[0].prefix, 128);
	assert_int_equal(g->local_addrs[1].prefix, 8);
	assert_int_equal(g->nremote_ports, 2);
	assert_int_equal(g->remote_ports[0].lo, 1);
	assert_int_equal(g->remote_ports[0].hi, 1024);
	assert_int_equal(g->remote_ports[1].lo, 65535);
	g = &c->groups[1];
	assert_int_equal(g->family, FAM_IPV4);
	assert_int_equal(g->nremote_addrs, 1);
	assert_int_equal(g->remote_addrs[0].prefix, 32);
	assert_memory_equal(g->remote_addrs[0].addr, host4, 4);
	assert_int_equal(g->nlocal_ports, 0);
	assert_int_equal(config_group_index(c, "v4"), 2);
	assert_string_equal(c->thresholds[0].group, "v4");
	assert_int_equal(c->thresholds[0].state, TT_SYN_RECV);
	assert_true(c->thresholds[0].has_above);
	assert_int_equal(c->thresholds[0].above, 0);
	assert_int_equal(c->thresholds[0].severity, SEV_CRITICAL);
	assert_int_equal(c->thresholds[0].line, 15);
	assert_true(c->thresholds[1].growth == 2.0);
	assert_int_equal(c->thresholds[1].window, 60);
	config_free(c);

	c = load_ok("interval: 1s\n");
	assert_int_equal(c->interval, 1);
	config_free(c);

	/* Thresholds may come before the groups they name. */
	c = load_ok("thresholds:\n  - name: t\n    group: late\n"
	    "    state: LISTEN\n    below: 1\ngroups:\n  - name: late\n");
	assert_string_equal(c->thresholds[0].group, "late");
	config_free(c);

	/* Anchors and aliases work as YAML users expect. */
	c = load_ok("groups:\n  - name: a\n    local_ports: &p [80, 443]\n"
	    "  - name: b\n    local_ports: *p\n");
	assert_int_equal(c->groups[1].nlocal_ports, 2);
	assert_int_equal(c->groups[1].local_ports[1].lo, 443);
	config_free(c);
}

/* The new conditions, parsed: their kinds, metrics and limits. */
static void
test_context_thresholds(void **state)
{
	struct config *c;
	const struct threshold *t;

	(void)state;
	c = load_ok("context: off\ngroups:\n  - name: web\nthresholds:\n"
	    "  - name: o\n    metric: ListenOverflows\n    rate_above: 1/min\n    for: 2m\n"
	    "  - name: q\n    state: LISTEN\n    group: web\n    fill_above: 0.9\n"
	    "    severity: critical\n"
	    "  - name: tw\n    metric: tw_buckets_used\n    above: 0.8\n"
	    "  - name: orph\n    metric: orphans_used\n    above: 1\n");
	assert_int_equal(c->context, 0);
	t = &c->thresholds[0];
	assert_int_equal(t->kind, TH_RATE);
	assert_int_equal(t->metric, KS_ListenOverflows);
	assert_true(t->has_above && t->limit == 1.0 / 60.0);
	assert_int_equal(t->for_secs, 120);
	assert_string_equal(t->group, "all");
	t = &c->thresholds[1];
	assert_int_equal(t->kind, TH_FILL);
	assert_int_equal(t->state, TT_LISTEN);
	assert_string_equal(t->group, "web");
	assert_true(t->has_above && t->limit == 0.9);
	assert_int_equal(t->severity, SEV_CRITICAL);
	t = &c->thresholds[2];
	assert_int_equal(t->kind, TH_USED);
	assert_int_equal(t->metric, USED_TW);
	assert_true(t->has_above && t->limit == 0.8);
	t = &c->thresholds[3];
	assert_int_equal(t->metric, USED_ORPHANS);
	assert_true(t->limit == 1.0);
	config_free(c);
	c = load_ok("interval: 10s\n");
	assert_int_equal(c->context, 1);	/* on unless said */
	assert_int_equal(c->breakdown_cgroups, 20);	/* so are the breakdowns */
	assert_int_equal(c->breakdown_peers, 20);
	config_free(c);
}

static void
test_breakdown_thresholds(void **state)
{
	struct config *c;
	const struct threshold *t;

	(void)state;
	c = load_ok("breakdown:\n  cgroups: 0\n  peers: 100\ngroups:\n  - name: web\n"
	    "thresholds:\n"
	    "  - name: ports\n    peer_port_share_above: 0.5\n    for: 1m\n"
	    "    severity: critical\n"
	    "  - name: stuck\n    state: CLOSE_WAIT\n    group: web\n    oldest_above: 10m\n");
	assert_int_equal(c->breakdown_cgroups, 0);
	assert_int_equal(c->breakdown_peers, 100);
	t = &c->thresholds[0];
	assert_int_equal(t->kind, TH_PORT_SHARE);
	assert_true(t->has_above && t->limit == 0.5);
	assert_int_equal(t->for_secs, 60);
	assert_string_equal(t->group, "all");
	t = &c->thresholds[1];
	assert_int_equal(t->kind, TH_OLDEST);
	assert_int_equal(t->state, TT_CLOSE_WAIT);
	assert_string_equal(t->group, "web");
	assert_true(t->has_above && t->limit == 600.0);
	config_free(c);
	c = load_ok("owners:\n  close_wait_above: 100\n");
	assert_int_equal(c->owners_above, 100);
	assert_int_equal(c->owners_top, 10);
	config_free(c);
	c = load_ok("breakdown:\n  peers: 3\n");
	assert_int_equal(c->breakdown_cgroups, 20);	/* the other keeps its default */
	assert_int_equal(c->breakdown_peers, 3);
	config_free(c);
}

static void
test_locate(void **state)
{
	const char *sys = "/etc/tcptally/tcptally.yaml", *want;

	(void)state;
	assert_int_equal(setenv("TCPTALLY_CONFIG", "/env/t.yaml", 1), 0);
	assert_string_equal(config_locate("/opt/t.yaml"), "/opt/t.yaml");
	assert_string_equal(config_locate(NULL), "/env/t.yaml");
	/* Empty means unset, as in shells that cannot unset. */
	want = access(sys, F_OK) == 0 ? sys : NULL;
	assert_int_equal(setenv("TCPTALLY_CONFIG", "", 1), 0);
	if (want != NULL)
		assert_string_equal(config_locate(NULL), want);
	else
		assert_null(config_locate(NULL));
	assert_int_equal(unsetenv("TCPTALLY_CONFIG"), 0);
	if (want != NULL)
		assert_string_equal(config_locate(NULL), want);
	else
		assert_null(config_locate(NULL));
	assert_string_equal(config_locate("x.yaml"), "x.yaml");
}

static void
test_errlist(void **state)
{
	struct errlist e = { 0 };

	(void)state;
	errlist_add(&e, "%s:%d: %s", "f", 3, "one");
	errlist_add(&e, "two");
	assert_int_equal(e.n, 2);
	assert_string_equal(e.msg[0], "f:3: one");
	assert_string_equal(e.msg[1], "two");
	errlist_free(&e);
	assert_int_equal(e.n, 0);
	assert_null(e.msg);
	errlist_free(&e);
	errlist_add(NULL, "ignored");
}

static int
setup(void **state)
{
	const char *cands[] = { "../../config/tcptally.yaml",
	    "config/tcptally.yaml" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (realpath(cands[i], example) != NULL)
			break;
	if (i == sizeof(cands) / sizeof(cands[0])) {
		fprintf(stderr, "config/tcptally.yaml not found from here\n");
		return -1;
	}
	if (getcwd(origdir, sizeof(origdir)) == NULL ||
	    mkdtemp(tmpdir) == NULL || chdir(tmpdir) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(F);
	if (chdir(origdir) == -1 || rmdir(tmpdir) == -1)
		return -1;
	return 0;
}

#define NBAD	(sizeof(bads) / sizeof(bads[0]))

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_backend),
		cmocka_unit_test(test_context_thresholds),
		cmocka_unit_test(test_breakdown_thresholds),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_errlist),
		cmocka_unit_test(test_cannot_open),
		cmocka_unit_test(test_too_many_groups),
	};
	struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + NBAD];
	size_t i, n = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	/* One named test per bad config, so a failure names the case. */
	for (i = 0; i < NBAD; i++) {
		memset(&tests[n], 0, sizeof(tests[n]));
		tests[n].name = bads[i].name;
		tests[n].test_func = test_bad;
		tests[n++].initial_state = (void *)&bads[i];
	}
	return _cmocka_run_group_tests("config", tests, n, setup, teardown);
}
