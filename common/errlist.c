/* A growing list of error messages, so a parser can report all of them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tcptally/tcptally.h"

void
errlist_add(struct errlist *e, const char *fmt, ...)
{
	va_list ap;
	char *s, **m;
	int r;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	/* Out of memory: the caller still fails, only this text is lost. */
	if (r == -1)
		return;
	if ((m = reallocarray(e->msg, e->n + 1, sizeof(*m))) == NULL) {
		free(s);
		return;
	}
	e->msg = m;
	e->msg[e->n++] = s;
}

void
errlist_free(struct errlist *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}
