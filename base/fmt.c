/* fmt.c - a small vsnprintf for kernel code */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/fmt.h"

struct out {
	char *buf;
	size_t n, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int count)
{
	while (count-- > 0)
		put(o, c);
}

/* one integer conversion; @neg with @v its magnitude */
static void num(struct out *o, uint64_t v, bool neg, unsigned base, bool upper,
		int width, int prec, bool left, bool zero, bool alt)
{
	char digits[24];
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int nd = 0, body, total;
	const char *prefix = "";

	do {
		digits[nd++] = set[v % base];
		v /= base;
	} while (v);
	if (prec == 0 && nd == 1 && digits[0] == '0')
		nd = 0; /* "%.0d" of zero prints nothing */
	if (neg)
		prefix = "-";
	else if (alt && base == 16 && nd)
		prefix = upper ? "0X" : "0x";
	else if (alt && base == 8 && (prec <= nd) &&
		 !(nd && digits[nd - 1] == '0'))
		prefix = "0";
	body = prec > nd ? prec : nd;
	total = body + (int)strlen(prefix);
	if (!left && !(zero && prec < 0))
		pad(o, ' ', width - total);
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	if (!left && zero && prec < 0)
		pad(o, '0', width - total);
	pad(o, '0', body - nd);
	while (nd > 0)
		put(o, digits[--nd]);
	if (left)
		pad(o, ' ', width - total);
}

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = {buf, n, 0};

	for (const char *f = fmt; *f; f++) {
		bool left = false, zero = false, alt = false;
		int width = 0, prec = -1, lng = 0;
		uint64_t u;
		int64_t s;

		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		for (;; f++) {
			if (f[1] == '-')
				left = true;
			else if (f[1] == '0')
				zero = true;
			else if (f[1] == '#')
				alt = true;
			else if (f[1] == ' ' || f[1] == '+')
				;
			else
				break;
		}
		f++;
		if (*f == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = -width;
			}
			f++;
		}
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') {
				prec = va_arg(ap, int);
				f++;
			}
			while (*f >= '0' && *f <= '9')
				prec = prec * 10 + (*f++ - '0');
		}
		for (;; f++) {
			if (*f == 'l')
				lng++;
			else if (*f == 'z' || *f == 'j' || *f == 't')
				lng = 2;
			else if (*f == 'h')
				;
			else
				break;
		}
		switch (*f) {
		case 'd':
		case 'i':
			s = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			num(&o, s < 0 ? -(uint64_t)s : (uint64_t)s, s < 0, 10,
			    false, width, prec, left, zero, false);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			num(&o, u, false,
			    *f == 'u'	? 10
			    : *f == 'o' ? 8
					: 16,
			    *f == 'X', width, prec, left, zero, alt);
			break;
		case 'p':
			u = (uint64_t)(uintptr_t)va_arg(ap, void *);
			if (!u) {
				const char *nil = "(nil)";

				pad(&o, ' ', left ? 0 : width - 5);
				while (*nil)
					put(&o, *nil++);
				pad(&o, ' ', left ? width - 5 : 0);
			} else {
				num(&o, u, false, 16, false, width, prec, left,
				    zero, true);
			}
			break;
		case 'c':
			pad(&o, ' ', left ? 0 : width - 1);
			put(&o, (char)va_arg(ap, int));
			pad(&o, ' ', left ? width - 1 : 0);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			int len;

			if (!str)
				str = "(null)";
			len = (int)(prec >= 0 ? strnlen(str, (size_t)prec)
					      : strlen(str));
			pad(&o, ' ', left ? 0 : width - len);
			for (int i = 0; i < len; i++)
				put(&o, str[i]);
			pad(&o, ' ', left ? width - len : 0);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			/* unknown conversion: print it as it is */
			put(&o, '%');
			if (*f)
				put(&o, *f);
			else
				f--;
			break;
		}
	}
	if (n)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kvsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
