/* main.c — the one guanxi binary: every command lives in src/cli/. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
