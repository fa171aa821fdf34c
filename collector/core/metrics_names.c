/* metrics_names.c — names, label sets and family definitions of the
 * registry: what is valid, and how a label set is escaped and rendered.
 * Pure functions: no lock, no state. */
#include "metrics_priv.h"

#include <math.h>
#include <string.h>

/* ---- names and label sets ---- */

static bool metrics_name_char(char c, bool first, bool colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (c == ':')
		return colon;
	return !first && c >= '0' && c <= '9';
}

/* Metric names allow ':' (recording rules), label names do not. */
static bool metrics_name_valid(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (size_t i = 0; s[i]; i++)
		if (!metrics_name_char(s[i], i == 0, colon))
			return false;
	return true;
}

static bool metrics_has_suffix(const char *s, size_t n, const char *sfx)
{
	size_t k = strlen(sfx);

	return n > k && memcmp(s + n - k, sfx, k) == 0;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF):
 * Prometheus rejects a whole scrape over one invalid label value. */
static bool metrics_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], lo = 0x80, hi = 0xbf;
		size_t k;

		if (c < 0x80)
			k = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return false;
		if (n - i - 1 < k)
			return false;
		/* RFC 3629 §4: the second byte's range excludes overlongs
		 * (E0, F0), surrogates (ED) and code points past U+10FFFF (F4). */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf4)
			hi = 0x8f;
		for (size_t j = 1; j <= k; j++, lo = 0x80, hi = 0xbf)
			if (s[i + j] < lo || s[i + j] > hi)
				return false;
		i += k + 1;
	}
	return true;
}

/* Bytes the escaped label value takes in the text formats, or SIZE_MAX
 * when the value is missing, too long or not UTF-8. */
static size_t metrics_escaped_len(const char *v)
{
	size_t n, extra = 0;

	if (!v)
		return SIZE_MAX;
	n = strnlen(v, METRICS_MAX_LABEL_VALUE + 1);
	if (n > METRICS_MAX_LABEL_VALUE || !metrics_utf8_valid((const unsigned char *)v, n))
		return SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		extra += v[i] == '\\' || v[i] == '"' || v[i] == '\n';
	return n + extra;
}

/* Length of `a="x",b="y"` for these values, or SIZE_MAX if one is bad. */
size_t metrics_labels_len(const struct metrics_family *fam, const char *const *values)
{
	size_t len = 0;

	if (fam->nlabels > 0 && !values)
		return SIZE_MAX;
	for (size_t i = 0; i < fam->nlabels; i++) {
		size_t vlen = metrics_escaped_len(values[i]);
		if (vlen == SIZE_MAX)
			return SIZE_MAX;
		len += (i > 0) + strlen(fam->label_names[i]) + 3 + vlen;
	}
	return len;
}

/* Writes the label set into dst (len + 1 bytes, from metrics_labels_len). */
void metrics_labels_render(const struct metrics_family *fam, const char *const *values,
			   char *dst)
{
	for (size_t i = 0; i < fam->nlabels; i++) {
		size_t n = strlen(fam->label_names[i]);
		if (i > 0)
			*dst++ = ',';
		memcpy(dst, fam->label_names[i], n);
		dst += n;
		*dst++ = '=';
		*dst++ = '"';
		for (const char *v = values[i]; *v; v++) {
			if (*v == '\\' || *v == '"' || *v == '\n')
				*dst++ = '\\';
			*dst++ = *v == '\n' ? 'n' : *v;
		}
		*dst++ = '"';
	}
	*dst = '\0';
}

/* ---- family definitions ---- */

/* Suffixes that samples of other types generate, so a gauge or histogram
 * carrying one would collide with them or confuse a parser. */
static const char *const metrics_reserved_suffixes[] = {
	"_total", "_bucket", "_count", "_sum", "_created", "_info",
};

/* Checks name and type suffix; sets the OpenMetrics metadata name length
 * (counters lose _total, info loses _info). */
static bool metrics_def_name_ok(const struct metrics_family_def *def, size_t *meta_len)
{
	size_t n;

	if (!metrics_name_valid(def->name, true))
		return false;
	n = strlen(def->name);
	switch (def->type) {
	case METRICS_COUNTER:
		*meta_len = n - strlen("_total");
		return metrics_has_suffix(def->name, n, "_total");
	case METRICS_INFO:
		*meta_len = n - strlen("_info");
		return metrics_has_suffix(def->name, n, "_info");
	case METRICS_GAUGE:
	case METRICS_HISTOGRAM:
		*meta_len = n;
		for (size_t i = 0; i < sizeof metrics_reserved_suffixes / sizeof *metrics_reserved_suffixes; i++)
			if (metrics_has_suffix(def->name, n, metrics_reserved_suffixes[i]))
				return false;
		return true;
	}
	return false;
}

/* OpenMetrics: a unit must be a suffix of the metadata name after an
 * underscore, and info families must have none. */
static bool metrics_def_unit_ok(const struct metrics_family_def *def, size_t meta_len)
{
	size_t ulen;

	if (!def->unit || !*def->unit)
		return true;
	if (def->type == METRICS_INFO || !metrics_name_valid(def->unit, false))
		return false;
	ulen = strlen(def->unit);
	return meta_len > ulen + 1 && def->name[meta_len - ulen - 1] == '_' &&
	       memcmp(def->name + meta_len - ulen, def->unit, ulen) == 0;
}

static bool metrics_label_name_ok(const char *name)
{
	/* "__" is Prometheus-internal; le and quantile are generated by
	 * histograms and summaries and would clash in queries. */
	return metrics_name_valid(name, false) && strncmp(name, "__", 2) != 0 &&
	       strcmp(name, "le") != 0 && strcmp(name, "quantile") != 0;
}

static bool metrics_def_labels_ok(const struct metrics_family_def *def)
{
	if (def->nlabels > METRICS_MAX_LABELS || (def->nlabels > 0 && !def->label_names))
		return false;
	for (size_t i = 0; i < def->nlabels; i++) {
		if (!metrics_label_name_ok(def->label_names[i]))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(def->label_names[i], def->label_names[j]) == 0)
				return false;
	}
	return true;
}

static bool metrics_def_buckets_ok(const struct metrics_family_def *def)
{
	if (def->type != METRICS_HISTOGRAM)
		return def->nbuckets == 0;
	if (def->nbuckets < 1 || def->nbuckets > METRICS_MAX_BUCKETS || !def->buckets)
		return false;
	for (size_t i = 0; i < def->nbuckets; i++) {
		if (!isfinite(def->buckets[i]))
			return false;
		if (i > 0 && !(def->buckets[i] > def->buckets[i - 1]))
			return false;
	}
	return true;
}

bool metrics_def_ok(const struct metrics_family_def *def, size_t *meta_len)
{
	const char *help = def->help ? def->help : "";

	return metrics_def_name_ok(def, meta_len) && metrics_def_unit_ok(def, *meta_len) &&
	       metrics_def_labels_ok(def) && metrics_def_buckets_ok(def) &&
	       metrics_utf8_valid((const unsigned char *)help, strlen(help));
}
