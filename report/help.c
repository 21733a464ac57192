/* `tcptally-report COMMAND --help` and `tcptally-report help COMMAND`. */
#include <stdio.h>
#include <string.h>

#include "report.h"

static const struct {
	const char	*name;
	const char	*text;
} helps[] = {
	{ "now",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json] now [--group G]...\n\n"
	  "The latest sample of every host, group x state (each network namespace\n"
	  "sampled shows as one more host, HOST/NETNS); in a table, then each host's\n"
	  "kernel section: orphans and TIME_WAIT buckets against their limits\n"
	  "(tcp_max_orphans, tcp_max_tw_buckets) and the counters that moved in the\n"
	  "last interval, per second (context: on).\n\n"
	  "  --group G    only group G (repeat for more); default every group\n\n"
	  "Examples:\n"
	  "  tcptally-report now\n"
	  "  tcptally-report now --group web --format json\n"
	  "  tcptally-report -d web-1.db -d web-2.db now --host web-1\n"
	  "  tcptally-report now --netns 'ttns-*'\n" },
	{ "trend",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json]\n"
	  "           trend [--since DUR | --from T] [--to T] [--step DUR] [--group G]...\n"
	  "           [--state S]...\n\n"
	  "How the states moved over a range: per state min, avg, max and the slope per\n"
	  "hour; on a terminal also a sparkline (not when piped, with NO_COLOR set or\n"
	  "TERM=dumb). CSV and JSON give one row per step x state.\n\n"
	  "Over more than two days on whole-hour steps, or back past the oldest raw\n"
	  "sample (retention), it reads the hourly rollups and says so.\n\n"
	  "  --since DUR  the range is the last DUR (default 24h)\n"
	  "  --from T     the range starts at T (instead of --since)\n"
	  "  --to T       the range ends at T (default now)\n"
	  "  --step DUR   bucket width (default: about 60 buckets on a round step)\n"
	  "  --group G    this group (repeat for more); default all\n"
	  "  --state S    this state (repeat for more); default every state not 0 throughout\n\n"
	  "Examples:\n"
	  "  tcptally-report trend --since 24h --state CLOSE_WAIT\n"
	  "  tcptally-report trend --from '2026-11-23 00:00' --to '2026-11-23 06:00' --step 5m\n"
	  "  tcptally-report trend --since 7d --group web --format csv > web.csv\n" },
	{ "daily",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json|html]\n"
	  "           daily [--date YYYY-MM-DD] [--group G]...\n\n"
	  "The capacity report for one local calendar day: per host x group x state min,\n"
	  "avg, p95 and peak (with its time), the change of the average against the day\n"
	  "before and the same day a week before, the thresholds that fired, and each\n"
	  "host's kernel section over the day.\n"
	  "--format html writes one self-contained XHTML page (no scripts, nothing\n"
	  "fetched) with a chart of the day per host x group and the threshold lines,\n"
	  "and per host its groups' fullest accept queues and the counters that moved.\n"
	  "A day whose raw samples retention has dropped comes from the hourly rollups\n"
	  "(no p95; the chart shows hourly averages; it says so).\n\n"
	  "  --date D     the local day YYYY-MM-DD (default today)\n"
	  "  --group G    only group G (repeat for more); default every group\n\n"
	  "Examples:\n"
	  "  tcptally-report daily\n"
	  "  tcptally-report daily --date 2026-11-23 --format csv\n"
	  "  tcptally-report daily --date 2026-11-23 --format html > 2026-11-23.html\n" },
	{ "at",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json] at T [--around DUR] [--group G]...\n\n"
	  "What happened at T: the window T +- DUR against the same local time a day and\n"
	  "a week earlier, the states that changed most first, with the window's min\n"
	  "and max and when each came (a drop to 0 and back inside it shows); then each\n"
	  "host's kernel section over the window (orphans, TIME_WAIT buckets, the\n"
	  "counters that moved).\n\n"
	  "  T            2026-11-23T18:00:00Z, '2026-11-23 18:00' (local), @EPOCH, -2h, now\n"
	  "  --around DUR half the window (default 10m)\n"
	  "  --group G    only group G (repeat for more)\n\n"
	  "Examples:\n"
	  "  tcptally-report at '2026-11-23 03:12'\n"
	  "  tcptally-report at -2h --around 5m --group web\n" },
	{ "diff",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json]\n"
	  "           diff --from T --to T [--baseline-from T --baseline-to T] [--group G]...\n\n"
	  "One range against a baseline, per host x group x state; the states that\n"
	  "changed most first.\n\n"
	  "  --from T, --to T        the range\n"
	  "  --baseline-from T, --baseline-to T\n"
	  "                          the baseline (default: as long, ending one interval\n"
	  "                          before --from)\n"
	  "  --group G               only group G (repeat for more)\n\n"
	  "Examples:\n"
	  "  tcptally-report diff --from '2026-11-23 18:00' --to '2026-11-23 19:00'\n"
	  "  tcptally-report diff --from -1h --to now --baseline-from -25h --baseline-to -24h\n" },
	{ "check",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N] check [--at T]\n"
	  "           [--perfdata all|breaching|none]\n\n"
	  "Evaluate the config's thresholds, as a Nagios plugin: the first line is the\n"
	  "status with perfdata, then one line per finding. Exit 0 OK, 1 WARNING,\n"
	  "2 CRITICAL, 3 UNKNOWN (no sample newer than 3 intervals: the collector is\n"
	  "not running; also for check's own errors, and for a rate or a share that\n"
	  "cannot be judged: no kernel context, no limit). Each network namespace of a\n"
	  "host is judged on its own; its findings say \"host H, netns N\", its perfdata\n"
	  "labels start with H/N/ (or N/ alone).\n\n"
	  "  --at T       judge the samples up to T instead of the newest\n"
	  "  --perfdata P all (default): every series a threshold judged; breaching:\n"
	  "               only those that fired, for a fleet (-d DIR) whose full\n"
	  "               perfdata would pass NRPE's or Nagios' output limit; none\n\n"
	  "Examples:\n"
	  "  tcptally-report check\n"
	  "  tcptally-report -c fleet.yaml -d fleet/ check --perfdata breaching\n"
	  "  tcptally-report -c /etc/tcptally/tcptally.yaml check --at '2026-11-23 03:12'\n" },
	{ "backtest",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json] backtest [--since DUR | --from T] [--to T]\n\n"
	  "The intervals in which each threshold of the config would have fired: try a\n"
	  "new threshold on the history before it pages anyone.\n\n"
	  "  --since DUR  the last DUR (default 7d)\n"
	  "  --from T     from T (instead of --since)\n"
	  "  --to T       up to T (default now)\n\n"
	  "Examples:\n"
	  "  tcptally-report backtest\n"
	  "  tcptally-report -c new-thresholds.yaml backtest --since 30d --format csv\n" },
	{ "export",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           export [--from T] [--to T] [--group G]... --format csv|json|openmetrics\n\n"
	  "Every sample in the range, one row per sample x group x state. The CSV is what\n"
	  "tcptally-collector --import reads; OpenMetrics backfills Prometheus\n"
	  "(promtool tsdb create-blocks-from openmetrics FILE DIR). A network namespace\n"
	  "other than the host's own is named: JSON has \"netns\" beside \"host\" (always),\n"
	  "OpenMetrics a netns label, CSV a sixth column netns (only when some row is of\n"
	  "one; else the header is ts,host,group,state,count as ever).\n\n"
	  "  --from T, --to T   the range (default everything)\n"
	  "  --group G          only group G (repeat for more)\n\n"
	  "Examples:\n"
	  "  tcptally-report export --format csv > history.csv\n"
	  "  tcptally-report -d old.db export --format csv | tcptally-collector --import -\n"
	  "  tcptally-report export --from -7d --format openmetrics > tcptally.om\n" },
	{ "listeners",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json] listeners [--group G]... [--since DUR]\n\n"
	  "Is the kernel dropping connections, and where: per host x group, its LISTEN\n"
	  "sockets now (listeners, queued, the sum of their backlogs, the fullest queue's\n"
	  "fill and how many are full) and the fullest over the window with its time,\n"
	  "beside the host's ListenOverflows and ListenDrops per second over the window.\n"
	  "A listener holds backlog + 1 connections before it drops the next: its fill\n"
	  "is queue / (backlog + 1), 1.00 is full. A table leaves out the groups with no\n"
	  "listener in the window.\n\n"
	  "  --group G    only group G (repeat for more); default every group\n"
	  "  --since DUR  the window (default 1h)\n\n"
	  "Examples:\n"
	  "  tcptally-report listeners\n"
	  "  tcptally-report listeners --group web --since 24h --format csv\n" },
	{ "who",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json]\n"
	  "           who [--state S] [--group G] [--since DUR | --at T]\n\n"
	  "Which service holds the sockets of a state: the cgroups (systemd units,\n"
	  "containers, sessions) with the most, each with its count at the newest\n"
	  "sample, its peak in the window and its growth per hour (least squares over\n"
	  "the samples that counted it among the top). CLOSE_WAIT is an application\n"
	  "that never called close(): the cgroup growing here is the one leaking.\n"
	  "(kernel): sockets no process owns (TIME_WAIT, SYN_RECV). (other): the rest\n"
	  "beyond the top K the collector stores (breakdown.cgroups in the config).\n\n"
	  "  --state S    the state (default CLOSE_WAIT)\n"
	  "  --group G    a config group (default all)\n"
	  "  --since DUR  the window (default 1h)\n"
	  "  --at T       the sample at T instead (the newest at or before it)\n\n"
	  "Examples:\n"
	  "  tcptally-report who\n"
	  "  tcptally-report who --state ESTABLISHED --group web --since 24h\n"
	  "  tcptally-report who --at 03:12 --format csv\n" },
	{ "peers",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json]\n"
	  "           peers [--state S] [--direction in|out] [--group G] [--since DUR | --at T]\n\n"
	  "Toward whom the sockets of a state are: the peers with the most, each with\n"
	  "its count now, its peak and growth per hour. out: peers we connected to (our\n"
	  "port in ip_local_port_range), by their address and port; in: clients of our\n"
	  "services, by their address and our port. For an outbound peer, its port\n"
	  "share: our sockets toward it in any state, TIME_WAIT included, over the size\n"
	  "of the local port range. Near 1.00, connect() to it fails with \"cannot\n"
	  "assign requested address\".\n\n"
	  "  --state S          the state (default TIME_WAIT)\n"
	  "  --direction in|out only inbound or outbound peers (default both)\n"
	  "  --group G          a config group (default all)\n"
	  "  --since DUR        the window (default 1h)\n"
	  "  --at T             the sample at T instead (the newest at or before it)\n\n"
	  "Examples:\n"
	  "  tcptally-report peers --direction out\n"
	  "  tcptally-report peers --state ESTABLISHED --direction in --since 24h\n" },
	{ "owners",
	  "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	  "           [--format table|csv|json] owners [--group G] [--since DUR]\n\n"
	  "The processes holding CLOSE_WAIT sockets: at each sample where a group's\n"
	  "CLOSE_WAIT count passed owners.close_wait_above (config; off by default),\n"
	  "the collector mapped those sockets to processes by one scan of /proc, and\n"
	  "kept the top owners.top. For each process: its pid, name and cgroup, its\n"
	  "CLOSE_WAIT sockets at the newest such sample (0: it held none then), its\n"
	  "peak, and when it was first and last named. The collector needs\n"
	  "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to see other users' processes.\n\n"
	  "  --group G    one group (default every group that passed the trigger)\n"
	  "  --since DUR  the window (default 1h)\n\n"
	  "Examples:\n"
	  "  tcptally-report owners\n"
	  "  tcptally-report owners --since 24h --format csv\n" },
};

/* 0, or -1 when there is no such command. */
int
command_help(FILE *f, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].name, name) == 0) {
			fputs(helps[i].text, f);
			return 0;
		}
	return -1;
}
