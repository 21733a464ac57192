/*
 * tcptally-runcost: run a command once and print the CPU seconds (user + sys)
 * and the peak RSS in KiB of it and every descendant it waited for.
 * The command's standard output goes to /dev/null.
 * Pipelines: tcptally-runcost sh -c 'ss -tan | awk ...'.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static double
secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int
main(int argc, char *argv[])
{
	struct rusage ru;
	pid_t pid;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: tcptally-runcost COMMAND [ARG]...\n");
		return 2;
	}
	if ((pid = fork()) == -1) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null == -1 || dup2(null, STDOUT_FILENO) == -1) {
			perror("/dev/null");
			_exit(127);
		}
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1) {
		perror("waitpid");
		return 1;
	}
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%.6f %ld\n", secs(&ru.ru_utime) + secs(&ru.ru_stime), ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
