/*
 * tcptally-populate: the plan.  Pure arithmetic over the options: how each
 * category splits between IPv4 and IPv6, how many workers are needed, and
 * each worker's share.
 */

#include <string.h>

#include "populate.h"

static long share(long total, int parts, int idx)
{
	return total / parts + (idx < total % parts ? 1 : 0);
}

static long share_start(long total, int parts, int idx)
{
	long base = total / parts, rem = total % parts;

	return base * idx + (idx < rem ? idx : rem);
}

static long ceil_div(long a, long b)
{
	return (a + b - 1) / b;
}

/* Split every category between v4 and v6. */
static void plan_families(void)
{
	int pct = opt.v6pct;

	plan.use4 = pct < 100;
	plan.use6 = pct > 0;
	plan.listeners_per_worker = (plan.use4 ? opt.dst4.n : 0) + (plan.use6 ? opt.dst6.n : 0);

	plan.est6 = (opt.established / 2) * pct / 100;
	plan.est4 = opt.established / 2 - plan.est6;
	plan.cw6 = opt.close_wait * pct / 100;
	plan.cw4 = opt.close_wait - plan.cw6;
	plan.tw6 = opt.time_wait * pct / 100;
	plan.tw4 = opt.time_wait - plan.tw6;
	plan.idle6 = opt.listen * pct / 100;
	plan.idle4 = opt.listen - plan.idle6;
}

/* Workers needed for the held fds and for the per-tuple connection cap. */
static long plan_workers(void)
{
	long held, cap, w, c4, c6, w4, w6;

	/* fds held for the whole life of the population */
	held = opt.listen + opt.established + 2 * opt.close_wait;
	/* per worker: its listeners, a transient connection (2 fds), rounding */
	cap = opt.per_worker - FD_RESERVE - plan.listeners_per_worker - 2 - FD_SLACK;
	if (cap < 16)
		usage_error("--per-worker %ld is too small (need at least %ld)", opt.per_worker,
			    opt.per_worker - cap + 16);

	w = ceil_div(held, cap);
	/*
	 * Keep the number of connections per (source, destination, dport) tuple
	 * well below the ephemeral port range, so that the kernel's per-destination
	 * port search never wraps into ports it handed out earlier.
	 */
	c4 = plan.est4 + plan.cw4 + plan.tw4;
	c6 = plan.est6 + plan.cw6 + plan.tw6;
	w4 = ceil_div(c4, TUPLE_CAP * opt.src4.n * opt.dst4.n);
	w6 = ceil_div(c6, TUPLE_CAP * opt.src6.n * opt.dst6.n);
	if (w4 > w)
		w = w4;
	if (w6 > w)
		w = w6;
	return w;
}

static void check_ports(void)
{
	if (opt.port_base + plan.workers - 1 > 65535)
		usage_error("--port-base %ld + %d workers exceeds port 65535", opt.port_base, plan.workers);
	if (opt.idle_base + opt.listen - 1 > 65535)
		usage_error("--idle-port-base %ld + %ld listeners exceeds port 65535", opt.idle_base,
			    opt.listen);
	if (opt.listen > 0 && opt.port_base < opt.idle_base + opt.listen &&
	    opt.idle_base < opt.port_base + plan.workers)
		usage_error("worker ports %ld-%ld overlap idle listener ports %ld-%ld",
			    opt.port_base, opt.port_base + plan.workers - 1,
			    opt.idle_base, opt.idle_base + opt.listen - 1);
}

void make_plan(void)
{
	long w;

	plan_families();
	w = plan_workers();
	if (w < 1)
		w = 1;
	if (w > MAX_WORKERS)
		usage_error("population needs %ld workers (max %d); raise --per-worker", w, MAX_WORKERS);
	plan.workers = (int)w;

	check_ports();
}

/* This worker's share of every category, and of the idle listener ports. */
void worker_work(int w, struct famwork *f4, struct famwork *f6)
{
	int W = plan.workers;

	memset(f4, 0, sizeof *f4);
	memset(f6, 0, sizeof *f6);
	f4->est = share(plan.est4, W, w);
	f6->est = share(plan.est6, W, w);
	f4->cw = share(plan.cw4, W, w);
	f6->cw = share(plan.cw6, W, w);
	f4->tw = share(plan.tw4, W, w);
	f6->tw = share(plan.tw6, W, w);
	f4->idle = share(plan.idle4, W, w);
	f6->idle = share(plan.idle6, W, w);
	f4->idle_port = opt.idle_base + share_start(plan.idle4, W, w);
	f6->idle_port = opt.idle_base + plan.idle4 + share_start(plan.idle6, W, w);
}
