/* The 11 TCP state names, spelled as the kernel and netstat spell them. */
#include <string.h>

#include "tcptally/tcptally.h"

static const char *const names[TT_NSTATES + 1] = {
	NULL, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
};

static const char *const columns[TT_NSTATES + 1] = {
	NULL, "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2",
	"time_wait", "close", "close_wait", "last_ack", "listen", "closing",
};

const char *
state_name(int state)
{
	if (state < 1 || state > TT_NSTATES)
		return NULL;
	return names[state];
}

const char *
state_column(int state)
{
	if (state < 1 || state > TT_NSTATES)
		return NULL;
	return columns[state];
}

int
state_from_name(const char *name)
{
	int i;

	for (i = 1; i <= TT_NSTATES; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *
state_names_list(void)
{
	return "ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, "
	    "CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING";
}
