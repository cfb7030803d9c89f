/* placeholder */
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) { if (argc > 1 && strncmp(argv[1], "--dump-commands", 15) == 0) puts(".SH COMMANDS"); return 0; }
