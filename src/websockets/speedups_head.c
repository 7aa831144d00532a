/* C accelerator for websockets, part two: the head of HTTP messages.
 *
 * The opening handshake (RFC 6455 4) is an HTTP/1.1 request and response.
 * websockets.http reads their start line and headers; when they arrive in
 * one piece, as they usually do, parse_head() reads them in one pass and
 * builds the lists of a websockets.datastructures.Headers. Its pure-Python
 * twin is websockets.http._parse_head_py. Part of the module
 * websockets.speedups (speedups.c registers it).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* In speedups.c. */
int _websockets_get_buffer(PyObject *obj, Py_buffer *view, PyObject **holder);
void _websockets_release_buffer(Py_buffer *view, PyObject *holder);

/* RFC 7230 3.2.6: tchar, the characters of a token. */
static int
is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* common.get(name, name), as a new reference. */
static PyObject *
shared_name(PyObject *common, PyObject *name)
{
    PyObject *shared = PyDict_GetItemWithError(common, name);
    if (shared == NULL) {
        if (PyErr_Occurred()) {
            Py_DECREF(name);
            return NULL;
        }
        return name;
    }
    Py_INCREF(shared);
    Py_DECREF(name);
    return shared;
}

/* Append (name, value) to items and the lower-cased name to keys, each name
 * replaced by the string of common that is equal to it, if there's one:
 * what headers[name] = value does. Steals the references to name and
 * value. */
static int
append_header(PyObject *items, PyObject *keys, PyObject *common, PyObject *name,
              PyObject *value, const unsigned char *raw, Py_ssize_t len)
{
    PyObject *pair, *key;
    char lower[256];
    Py_ssize_t i;
    int status;

    name = shared_name(common, name);
    if (name == NULL) {
        Py_DECREF(value);
        return -1;
    }
    pair = PyTuple_New(2);
    if (pair == NULL) {
        Py_DECREF(name);
        Py_DECREF(value);
        return -1;
    }
    PyTuple_SET_ITEM(pair, 0, name);
    PyTuple_SET_ITEM(pair, 1, value);
    status = PyList_Append(items, pair);
    Py_DECREF(pair);
    if (status == -1) {
        return -1;
    }
    if (len <= (Py_ssize_t)sizeof(lower)) {
        for (i = 0; i < len; i++) {
            lower[i] = (char)Py_TOLOWER(raw[i]);
        }
        key = PyUnicode_DecodeASCII(lower, len, NULL);
    }
    else {
        key = PyObject_CallMethod(name, "lower", NULL);
    }
    if (key == NULL) {
        return -1;
    }
    key = shared_name(common, key);
    if (key == NULL) {
        return -1;
    }
    status = PyList_Append(keys, key);
    Py_DECREF(key);
    return status;
}

/* parse_head(buffer, max_line, max_headers, common): the head of an HTTP
 * message, start line and headers, when buffer holds all of it up to the
 * empty line and it is well formed as websockets.http reads it line by line:
 * every line ends with CRLF and, with its CRLF, is at most max_line bytes;
 * each header is a token, a colon and a value of HTAB, SP, VCHAR or obs-text
 * (RFC 7230 3.2); at most max_headers headers. Returns (start_line, items,
 * keys, length of the head): the start line as bytes, not checked; items, the
 * (name, value) pairs as str, ASCII with surrogate escapes, values without
 * surrounding whitespace; keys, the lower-cased names; names and keys are
 * the strings of the dict common that are equal to them, if any: the lists
 * of a websockets.datastructures.Headers. Anything else gives None:
 * websockets.http then reads line by line, to wait for more bytes or to say
 * what's wrong. Same result as websockets.http._parse_head_py. */
PyObject *
_websockets_parse_head(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *holder, *common, *start = NULL, *items = NULL, *keys = NULL;
    PyObject *result = NULL;
    Py_buffer buffer;
    const unsigned char *buf;
    Py_ssize_t max_line, max_headers, pos = 0, count = 0;

    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "parse_head() takes exactly 4 arguments");
        return NULL;
    }
    max_line = PyLong_AsSsize_t(args[1]);
    if (max_line == -1 && PyErr_Occurred()) {
        return NULL;
    }
    max_headers = PyLong_AsSsize_t(args[2]);
    if (max_headers == -1 && PyErr_Occurred()) {
        return NULL;
    }
    common = args[3];
    if (!PyDict_Check(common)) {
        PyErr_SetString(PyExc_TypeError, "common must be a dict");
        return NULL;
    }
    if (_websockets_get_buffer(args[0], &buffer, &holder) == -1) {
        return NULL;
    }
    buf = (const unsigned char *)buffer.buf;
    if (max_headers < 0) {
        goto none;
    }
    items = PyList_New(0);
    keys = PyList_New(0);
    if (items == NULL || keys == NULL) {
        goto release;
    }
    for (;;) {
        const unsigned char *nl = memchr(buf + pos, '\n', buffer.len - pos);
        Py_ssize_t eol, name_end, value_start, value_end, i;
        PyObject *name, *value;
        if (nl == NULL) {
            goto none; /* incomplete */
        }
        eol = nl - buf;
        if (eol == pos || buf[eol - 1] != '\r') {
            goto none; /* bare LF */
        }
        eol--; /* the line is buf[pos:eol] */
        if (start != NULL && eol == pos) {
            result = Py_BuildValue("(OOOn)", start, items, keys, eol + 2);
            goto release;
        }
        if (eol + 2 - pos > max_line) {
            goto none; /* line too long */
        }
        if (start == NULL) {
            start = PyBytes_FromStringAndSize((const char *)buf + pos, eol - pos);
            if (start == NULL) {
                goto release;
            }
            pos = eol + 2;
            continue;
        }
        if (++count > max_headers) {
            goto none;
        }
        for (name_end = pos; name_end < eol && is_tchar(buf[name_end]); name_end++) {
        }
        if (name_end == pos || name_end == eol || buf[name_end] != ':') {
            goto none;
        }
        for (i = name_end + 1; i < eol; i++) {
            unsigned char c = buf[i];
            if (c < 0x20 ? c != '\t' : c == 0x7f) {
                goto none;
            }
        }
        value_start = name_end + 1;
        value_end = eol;
        while (value_start < value_end &&
               (buf[value_start] == ' ' || buf[value_start] == '\t')) {
            value_start++;
        }
        while (value_end > value_start &&
               (buf[value_end - 1] == ' ' || buf[value_end - 1] == '\t')) {
            value_end--;
        }
        name = PyUnicode_DecodeASCII((const char *)buf + pos, name_end - pos, NULL);
        if (name == NULL) {
            goto release;
        }
        value = PyUnicode_DecodeASCII((const char *)buf + value_start,
                                      value_end - value_start, "surrogateescape");
        if (value == NULL) {
            Py_DECREF(name);
            goto release;
        }
        if (append_header(items, keys, common, name, value, buf + pos,
                          name_end - pos) == -1) {
            goto release;
        }
        pos = eol + 2;
    }

none:
    result = Py_None;
    Py_INCREF(result);
release:
    Py_XDECREF(start);
    Py_XDECREF(items);
    Py_XDECREF(keys);
    _websockets_release_buffer(&buffer, holder);
    return result;
}
