/* decode.c — `circuitwatch decode`: BMP or BGP messages of a byte stream or
 * of a capture's TCP flows, one JSON object per line. */
#include "cmd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "decode_pcap.h"

enum { OPT_FORMAT, OPT_BMP_PORT };

static const struct option decode_options[] = {
	[OPT_FORMAT] = {"format", required_argument, NULL, 'f'},
	[OPT_BMP_PORT] = {"bmp-port", required_argument, NULL, 'P'},
	{NULL, 0, NULL, 0},
};

/* Whether path is a pcap/pcapng file (by its magic bytes). */
static bool is_capture(const char *path)
{
	uint8_t magic[4];
	FILE *fp = strcmp(path, "-") != 0 ? fopen(path, "rb") : NULL;
	bool yes = fp != NULL && fread(magic, 1, sizeof(magic), fp) == sizeof(magic) &&
		   decode_is_capture(magic, sizeof(magic));

	if (fp != NULL)
		fclose(fp);
	return yes;
}

/* decode of a capture: 0 read whole, 1 damaged part way, 2 errors. */
static int decode_capture(const char *path, long bmp_port)
{
	int rc = decode_pcap_file(path, (uint16_t)bmp_port, stdout, NULL);

	return rc == 0 ? 0 : rc == -1 ? 1 : 2;
}

/* decode: exit 0 when the whole input decoded, 1 when the framing was
 * lost or the input ended inside a message, 2 on usage or I/O errors. */
static int decode(const char *path, const char *format, long bmp_port)
{
	bool bgp = format != NULL && strcmp(format, "bgp") == 0;
	FILE *in = stdin;
	int rc;

	if (format != NULL && !bgp && strcmp(format, "bmp") != 0) {
		fprintf(stderr, "circuitwatch: --format must be bmp or bgp\n");
		return 2;
	}
	if (format == NULL && is_capture(path))
		return decode_capture(path, bmp_port);
	if (strcmp(path, "-") != 0 && (in = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "circuitwatch: %s: %s\n", path, strerror(errno));
		return 2;
	}
	rc = bgp ? decode_bgp_stream(in, stdout, NULL) : decode_bmp_stream(in, stdout, NULL);
	if (in != stdin)
		fclose(in);
	if (rc == -2)
		fprintf(stderr, "circuitwatch: %s: read or write error\n", path);
	else if (rc == -1)
		fprintf(stderr, "circuitwatch: %s: stopped: see the error line\n", path);
	return rc == 0 ? 0 : rc == -1 ? 1 : 2;
}

static int decode_main(const struct cmd_call *c)
{
	const char *port = c->opt[OPT_BMP_PORT];
	long bmp_port = 0; /* 0: not given */

	if (port != NULL) {
		char *end = NULL;

		bmp_port = strtol(port, &end, 10);
		if (end == port || *end != '\0' || bmp_port < 1 || bmp_port > 65535) {
			fprintf(stderr, "circuitwatch: --bmp-port must be 1..65535\n");
			return 2;
		}
	}
	return decode(c->arg, c->opt[OPT_FORMAT], bmp_port);
}

const struct cmd cmd_decode = {
	.name = "decode",
	.synopsis = "[--format bmp|bgp] [--bmp-port N] FILE|-",
	.summary = "print BMP or BGP messages as JSON lines",
	.usage = "Prints each BMP (default) or BGP message of a raw byte stream (FILE, or -\n"
		 "for stdin) as one JSON object per line. A pcap/pcapng FILE (unless --format\n"
		 "is given): the messages of TCP port 179 (BGP) and of the BMP port,\n"
		 "reassembled from TCP.\n"
		 "\n"
		 "options:\n"
		 "      --format bmp|bgp   what the byte stream holds (default bmp)\n"
		 "      --bmp-port N       the BMP port in a capture (default 1790)\n"
		 "\n"
		 "exit: 0, 1 when the framing was lost or the input ended inside a message,\n"
		 "2 on errors.\n",
	.options = decode_options,
	.shortopts = "",
	.logs = true,
	.nargs = 1,
	.missing = "decode needs a FILE (or - for stdin)",
	.main = decode_main,
};
