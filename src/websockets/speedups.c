/* C accelerator for websockets: XOR-masking of frame payloads, decoding and
 * encoding of frames, parsing of the head of handshake messages.
 *
 * RFC 6455 section 5.3: octet i of the transformed data is octet i of the
 * original data XOR octet (i MOD 4) of the masking key. This module does it
 * eight bytes at a time; websockets.utils falls back to pure Python when this
 * module isn't compiled.
 *
 * Entry points, with the same behaviour as their pure-Python twins in
 * websockets.utils:
 *
 * - apply_mask(data, mask): the public one;
 * - apply_mask_prefixed(prefix, data, mask): prefix + apply_mask(data, mask)
 *   in a single allocation, for writing a masked frame (header, then masked
 *   payload);
 * - unmask_slice(buffer, key_pos, end): unmask a frame payload where it lies
 *   in a receive buffer, the key being the 4 bytes before it (RFC 6455 5.2),
 *   without slicing the buffer first;
 * - unmask_join(chunks, mask): unmask a payload received in several chunks
 *   into a single new bytes object, in one pass;
 * - frame_bytes, parse_frame, parse_whole_frame: one frame, written or read
 *   in one call (see each);
 * - parse_head(buffer, max_line, max_headers, common): the start line and
 *   headers of an HTTP message in one pass; its twin is
 *   websockets.http._parse_head_py;
 * - Deadline, DeadlineQueueBase (speedups_deadlines.c): the timers of
 *   websockets.deadlines; their twins are websockets.deadlines._PyDeadline
 *   and _PyQueueBase.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Also used by speedups_head.c. */
int
_websockets_get_buffer(PyObject *obj, Py_buffer *view, PyObject **holder)
{
    /* Contiguous buffers are used in place; anything else (a non-contiguous
     * memoryview, for example) is copied into a bytes object first. */
    *holder = NULL;
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) == 0) {
        return 0;
    }
    if (!PyObject_CheckBuffer(obj)) {
        return -1;
    }
    PyErr_Clear();
    *holder = PyBytes_FromObject(obj);
    if (*holder == NULL) {
        return -1;
    }
    if (PyObject_GetBuffer(*holder, view, PyBUF_SIMPLE) != 0) {
        Py_CLEAR(*holder);
        return -1;
    }
    return 0;
}

void
_websockets_release_buffer(Py_buffer *view, PyObject *holder)
{
    PyBuffer_Release(view);
    Py_XDECREF(holder);
}

/* out[i] = in[i] ^ key[(phase + i) & 3] for i in [0, len): the masking of
 * RFC 6455 section 5.3, for data that starts at offset phase of a payload.
 * in and out must not overlap. Doesn't touch Python objects: may run with
 * the GIL released. */
static void
xor_mask(const unsigned char *in, unsigned char *out, Py_ssize_t len,
         const unsigned char *key, Py_ssize_t phase)
{
    unsigned char rot[4];
    uint32_t key32;
    uint64_t key64;
    Py_ssize_t i = 0;

    /* Rotate the key so that the data starts at key phase 0. */
    rot[0] = key[phase & 3];
    rot[1] = key[(phase + 1) & 3];
    rot[2] = key[(phase + 2) & 3];
    rot[3] = key[(phase + 3) & 3];
    memcpy(&key32, rot, 4);
    key64 = ((uint64_t)key32 << 32) | key32;

    /* Four words per iteration: the compiler turns this into wide loads and
     * stores. memcpy keeps unaligned access well-defined. */
    for (; i + 32 <= len; i += 32) {
        uint64_t w[4];
        memcpy(w, in + i, 32);
        w[0] ^= key64;
        w[1] ^= key64;
        w[2] ^= key64;
        w[3] ^= key64;
        memcpy(out + i, w, 32);
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, in + i, 8);
        w ^= key64;
        memcpy(out + i, &w, 8);
    }
    /* i is a multiple of 8, hence of 4: the rotated key phase is i & 3. */
    for (; i < len; i++) {
        out[i] = in[i] ^ rot[i & 3];
    }
}

/* Below this size, releasing the GIL costs more than it saves. */
#define RELEASE_GIL_THRESHOLD 16384

static PyObject *
mask_buffer(const Py_buffer *data, Py_ssize_t start, Py_ssize_t end,
            const unsigned char *key)
{
    Py_ssize_t len = end - start;
    PyObject *result = PyBytes_FromStringAndSize(NULL, len);
    if (result == NULL) {
        return NULL;
    }
    {
        const unsigned char *in = (const unsigned char *)data->buf + start;
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        if (len >= RELEASE_GIL_THRESHOLD) {
            Py_BEGIN_ALLOW_THREADS
            xor_mask(in, out, len, key, 0);
            Py_END_ALLOW_THREADS
        }
        else {
            xor_mask(in, out, len, key, 0);
        }
    }
    return result;
}

static PyObject *
apply_mask(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"data", "mask", NULL};
    PyObject *data_obj, *mask_obj, *data_holder, *mask_holder;
    Py_buffer data, mask;
    PyObject *result = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO", kwlist,
                                     &data_obj, &mask_obj)) {
        return NULL;
    }
    if (_websockets_get_buffer(data_obj, &data, &data_holder) == -1) {
        return NULL;
    }
    if (_websockets_get_buffer(mask_obj, &mask, &mask_holder) == -1) {
        goto release_data;
    }
    if (mask.len != 4) {
        PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
        goto release_mask;
    }
    result = mask_buffer(&data, 0, data.len, (const unsigned char *)mask.buf);

release_mask:
    _websockets_release_buffer(&mask, mask_holder);
release_data:
    _websockets_release_buffer(&data, data_holder);
    return result;
}

static PyObject *
apply_mask_prefixed(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *prefix_holder, *data_holder, *mask_holder, *result = NULL;
    Py_buffer prefix, data, mask;

    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "apply_mask_prefixed() takes exactly 3 arguments");
        return NULL;
    }
    if (_websockets_get_buffer(args[0], &prefix, &prefix_holder) == -1) {
        return NULL;
    }
    if (_websockets_get_buffer(args[1], &data, &data_holder) == -1) {
        goto release_prefix;
    }
    if (_websockets_get_buffer(args[2], &mask, &mask_holder) == -1) {
        goto release_data;
    }
    if (mask.len != 4) {
        PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
        goto release_mask;
    }
    if (data.len > PY_SSIZE_T_MAX - prefix.len) {
        PyErr_NoMemory();
        goto release_mask;
    }
    /* One allocation and one pass over the payload: allocating a second
     * large buffer to concatenate the header makes the allocator map and
     * unmap memory on every call, which costs far more than the copy. */
    result = PyBytes_FromStringAndSize(NULL, prefix.len + data.len);
    if (result == NULL) {
        goto release_mask;
    }
    {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        memcpy(out, prefix.buf, prefix.len);
        out += prefix.len;
        if (data.len >= RELEASE_GIL_THRESHOLD) {
            Py_BEGIN_ALLOW_THREADS
            xor_mask(data.buf, out, data.len, mask.buf, 0);
            Py_END_ALLOW_THREADS
        }
        else {
            xor_mask(data.buf, out, data.len, mask.buf, 0);
        }
    }

release_mask:
    _websockets_release_buffer(&mask, mask_holder);
release_data:
    _websockets_release_buffer(&data, data_holder);
release_prefix:
    _websockets_release_buffer(&prefix, prefix_holder);
    return result;
}

static PyObject *
unmask_slice(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer buffer;
    PyObject *holder, *result = NULL;
    Py_ssize_t key_pos, end;

    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "unmask_slice() takes exactly 3 arguments");
        return NULL;
    }
    key_pos = PyLong_AsSsize_t(args[1]);
    if (key_pos == -1 && PyErr_Occurred()) {
        return NULL;
    }
    end = PyLong_AsSsize_t(args[2]);
    if (end == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (_websockets_get_buffer(args[0], &buffer, &holder) == -1) {
        return NULL;
    }
    if (key_pos < 0 || key_pos > end - 4 || end > buffer.len) {
        PyErr_SetString(PyExc_ValueError, "invalid positions");
    }
    else {
        result = mask_buffer(&buffer, key_pos + 4, end,
                             (const unsigned char *)buffer.buf + key_pos);
    }
    _websockets_release_buffer(&buffer, holder);
    return result;
}

static PyObject *
unmask_join(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"chunks", "mask", NULL};
    PyObject *chunks_obj, *mask_obj, *seq, *mask_holder, *result = NULL;
    Py_buffer mask;
    Py_buffer *views = NULL;
    PyObject **holders = NULL;
    Py_ssize_t count, acquired = 0, total = 0, i;
    unsigned char key[4];

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO", kwlist,
                                     &chunks_obj, &mask_obj)) {
        return NULL;
    }
    if (_websockets_get_buffer(mask_obj, &mask, &mask_holder) == -1) {
        return NULL;
    }
    if (mask.len != 4) {
        PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
        _websockets_release_buffer(&mask, mask_holder);
        return NULL;
    }
    memcpy(key, mask.buf, 4);
    _websockets_release_buffer(&mask, mask_holder);

    seq = PySequence_Fast(chunks_obj, "chunks must be a sequence");
    if (seq == NULL) {
        return NULL;
    }
    count = PySequence_Fast_GET_SIZE(seq);
    views = PyMem_New(Py_buffer, count > 0 ? count : 1);
    holders = PyMem_New(PyObject *, count > 0 ? count : 1);
    if (views == NULL || holders == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; acquired < count; acquired++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, acquired);
        if (_websockets_get_buffer(item, &views[acquired], &holders[acquired]) == -1) {
            goto done;
        }
        if (views[acquired].len > PY_SSIZE_T_MAX - total) {
            acquired++;
            PyErr_NoMemory();
            goto done;
        }
        total += views[acquired].len;
    }

    result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL) {
        goto done;
    }
    {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        Py_ssize_t offset = 0;
        Py_BEGIN_ALLOW_THREADS
        for (i = 0; i < count; i++) {
            xor_mask((const unsigned char *)views[i].buf, out + offset,
                     views[i].len, key, offset);
            offset += views[i].len;
        }
        Py_END_ALLOW_THREADS
    }

done:
    for (i = 0; i < acquired; i++) {
        _websockets_release_buffer(&views[i], holders[i]);
    }
    PyMem_Free(views);
    PyMem_Free(holders);
    Py_DECREF(seq);
    return result;
}

/* frame_bytes(b0, data, key): a frame on the wire (RFC 6455 5.2): the
 * header with first byte b0 and the payload length, then data, masked with
 * the 4-byte key when key isn't None (section 5.3), in one allocation. */
static PyObject *
frame_bytes(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *data_holder, *key_holder = NULL, *result = NULL;
    Py_buffer data, key;
    const unsigned char *key_buf = NULL;
    unsigned char *out;
    Py_ssize_t header_size;
    long b0;

    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "frame_bytes() takes exactly 3 arguments");
        return NULL;
    }
    b0 = PyLong_AsLong(args[0]);
    if (b0 == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (b0 < 0 || b0 > 255) {
        PyErr_SetString(PyExc_ValueError, "b0 must be in range(256)");
        return NULL;
    }
    if (_websockets_get_buffer(args[1], &data, &data_holder) == -1) {
        return NULL;
    }
    if (args[2] != Py_None) {
        if (_websockets_get_buffer(args[2], &key, &key_holder) == -1) {
            goto release_data;
        }
        if (key.len != 4) {
            PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
            goto release_key;
        }
        key_buf = (const unsigned char *)key.buf;
    }
    header_size = data.len < 126 ? 2 : data.len < 65536 ? 4 : 10;
    if (key_buf != NULL) {
        header_size += 4;
    }
    if (data.len > PY_SSIZE_T_MAX - header_size) {
        PyErr_NoMemory();
        goto release_key;
    }
    result = PyBytes_FromStringAndSize(NULL, header_size + data.len);
    if (result == NULL) {
        goto release_key;
    }
    out = (unsigned char *)PyBytes_AS_STRING(result);
    out[0] = (unsigned char)b0;
    if (data.len < 126) {
        out[1] = (unsigned char)data.len;
        out += 2;
    }
    else if (data.len < 65536) {
        out[1] = 126;
        out[2] = (unsigned char)(data.len >> 8);
        out[3] = (unsigned char)data.len;
        out += 4;
    }
    else {
        uint64_t length = (uint64_t)data.len;
        int i;
        out[1] = 127;
        for (i = 0; i < 8; i++) {
            out[9 - i] = (unsigned char)(length >> (8 * i));
        }
        out += 10;
    }
    if (key_buf == NULL) {
        memcpy(out, data.buf, data.len);
    }
    else {
        /* MASK bit, then the key, then the masked payload. */
        ((unsigned char *)PyBytes_AS_STRING(result))[1] |= 0x80;
        memcpy(out, key_buf, 4);
        out += 4;
        if (data.len >= RELEASE_GIL_THRESHOLD) {
            Py_BEGIN_ALLOW_THREADS
            xor_mask(data.buf, out, data.len, key_buf, 0);
            Py_END_ALLOW_THREADS
        }
        else {
            xor_mask(data.buf, out, data.len, key_buf, 0);
        }
    }

release_key:
    if (args[2] != Py_None) {
        _websockets_release_buffer(&key, key_holder);
    }
release_data:
    _websockets_release_buffer(&data, data_holder);
    return result;
}

/* The frame that starts at buffer[pos], if it lies entirely in buffer and
 * is valid, as (b0, payload, stop): its first byte, its payload, unmasked if
 * mask is true, and the position after it. None otherwise: the frame is
 * incomplete or breaks a rule of RFC 6455 5.2 / 5.5 (masking, opcode,
 * control frame length or fragmentation, length above max_size), and the
 * caller decodes the header itself to tell which. With whole set, None too
 * when the frame doesn't end exactly at the end of buffer: it isn't decoded
 * for a caller that would discard it. */
static PyObject *
decode_frame(PyObject *buffer_obj, Py_ssize_t pos, PyObject *mask_obj,
             PyObject *max_size_obj, int whole)
{
    PyObject *holder, *data, *result = NULL;
    Py_buffer buffer;
    const unsigned char *buf;
    Py_ssize_t available, header_size, stop;
    unsigned long long length, limit = 0;
    int mask, has_limit = 0, i;
    unsigned char b0, b1, opcode;

    mask = PyObject_IsTrue(mask_obj);
    if (mask < 0) {
        return NULL;
    }
    if (max_size_obj != Py_None) {
        long long value = PyLong_AsLongLong(max_size_obj);
        if (value == -1 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
                return NULL;
            }
            /* Beyond 64 bits: no limit if it's positive, every frame is
             * too big if it's negative. */
            PyObject *zero = PyLong_FromLong(0);
            int negative;
            PyErr_Clear();
            if (zero == NULL) {
                return NULL;
            }
            negative = PyObject_RichCompareBool(max_size_obj, zero, Py_LT);
            Py_DECREF(zero);
            if (negative < 0) {
                return NULL;
            }
            if (negative) {
                Py_RETURN_NONE;
            }
        }
        else if (value < 0) {
            Py_RETURN_NONE;
        }
        else {
            has_limit = 1;
            limit = (unsigned long long)value;
        }
    }
    if (_websockets_get_buffer(buffer_obj, &buffer, &holder) == -1) {
        return NULL;
    }
    if (pos < 0 || pos > buffer.len) {
        PyErr_SetString(PyExc_ValueError, "invalid position");
        goto release;
    }
    buf = (const unsigned char *)buffer.buf + pos;
    available = buffer.len - pos;
    if (available < 2) {
        goto none;
    }
    b0 = buf[0];
    b1 = buf[1];
    if ((b1 >> 7) != mask) {
        goto none;
    }
    opcode = b0 & 0x0F;
    length = b1 & 0x7F;
    if (opcode > 2 && (opcode < 8 || opcode > 10 || !(b0 & 0x80) || length > 125)) {
        goto none;
    }
    header_size = mask ? 6 : 2;
    if (length == 126) {
        header_size += 2;
        if (available < header_size) {
            goto none;
        }
        length = ((unsigned long long)buf[2] << 8) | buf[3];
    }
    else if (length == 127) {
        header_size += 8;
        if (available < header_size) {
            goto none;
        }
        length = 0;
        for (i = 0; i < 8; i++) {
            length = (length << 8) | buf[2 + i];
        }
        if (length >> 63) {
            goto none;
        }
    }
    if (available < header_size || (has_limit && length > limit) ||
        length > (unsigned long long)(available - header_size)) {
        goto none;
    }
    stop = pos + header_size + (Py_ssize_t)length;
    if (whole && stop != buffer.len) {
        goto none;
    }
    if (mask) {
        data = mask_buffer(&buffer, stop - (Py_ssize_t)length, stop,
                           buf + header_size - 4);
    }
    else {
        data = PyBytes_FromStringAndSize((const char *)buf + header_size,
                                         (Py_ssize_t)length);
    }
    if (data == NULL) {
        goto release;
    }
    result = Py_BuildValue("(iNn)", (int)b0, data, stop);
    goto release;

none:
    result = Py_None;
    Py_INCREF(result);
release:
    _websockets_release_buffer(&buffer, holder);
    return result;
}

/* parse_frame(buffer, pos, mask, max_size): see decode_frame(). */
static PyObject *
parse_frame(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t pos;

    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "parse_frame() takes exactly 4 arguments");
        return NULL;
    }
    pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return decode_frame(args[0], pos, args[2], args[3], 0);
}

/* parse_whole_frame(buffer, mask, max_size): the frame that fills buffer
 * exactly, as parse_frame(buffer, 0, mask, max_size) returns it, else None. */
static PyObject *
parse_whole_frame(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "parse_whole_frame() takes exactly 3 arguments");
        return NULL;
    }
    return decode_frame(args[0], 0, args[1], args[2], 1);
}

/* In speedups_head.c. */
PyObject *_websockets_parse_head(PyObject *self, PyObject *const *args,
                                 Py_ssize_t nargs);

static PyMethodDef speedups_methods[] = {
    {
        "apply_mask",
        (PyCFunction)(void (*)(void))apply_mask,
        METH_VARARGS | METH_KEYWORDS,
        "apply_mask(data, mask)\n--\n\n"
        "Apply a 4-byte masking key to data and return bytes (RFC 6455 5.3).",
    },
    {
        "apply_mask_prefixed",
        (PyCFunction)(void (*)(void))apply_mask_prefixed,
        METH_FASTCALL,
        "apply_mask_prefixed(prefix, data, mask)\n--\n\n"
        "Return prefix followed by data masked with a 4-byte key.",
    },
    {
        "unmask_slice",
        (PyCFunction)(void (*)(void))unmask_slice,
        METH_FASTCALL,
        "unmask_slice(buffer, key_pos, end)\n--\n\n"
        "Unmask buffer[key_pos + 4:end] with the key buffer[key_pos:key_pos + 4].",
    },
    {
        "unmask_join",
        (PyCFunction)(void (*)(void))unmask_join,
        METH_VARARGS | METH_KEYWORDS,
        "unmask_join(chunks, mask)\n--\n\n"
        "Concatenate chunks and apply a 4-byte masking key to the result.",
    },
    {
        "frame_bytes",
        (PyCFunction)(void (*)(void))frame_bytes,
        METH_FASTCALL,
        "frame_bytes(b0, data, key)\n--\n\n"
        "Return a frame: header, then data, masked with key unless it's None.",
    },
    {
        "parse_frame",
        (PyCFunction)(void (*)(void))parse_frame,
        METH_FASTCALL,
        "parse_frame(buffer, pos, mask, max_size)\n--\n\n"
        "Return (b0, payload, stop) for a complete, valid frame at pos, else None.",
    },
    {
        "parse_whole_frame",
        (PyCFunction)(void (*)(void))parse_whole_frame,
        METH_FASTCALL,
        "parse_whole_frame(buffer, mask, max_size)\n--\n\n"
        "Return (b0, payload, stop) for a valid frame that fills buffer, else None.",
    },
    {
        "parse_head",
        (PyCFunction)(void (*)(void))_websockets_parse_head,
        METH_FASTCALL,
        "parse_head(buffer, max_line, max_headers, common)\n--\n\n"
        "Return (start_line, items, keys, length) for a complete,\n"
        "well-formed HTTP head at the start of buffer, else None.",
    },
    {NULL, NULL, 0, NULL},
};

/* In speedups_deadlines.c. */
int _websockets_add_deadline_types(PyObject *module);

static PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, (void *)_websockets_add_deadline_types},
#if PY_VERSION_HEX >= 0x030D0000
    /* The functions only touch the buffers they're given, and a deadline
     * queue is only used from its event loop's thread: safe to run without
     * the GIL on free-threaded builds. */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "websockets.speedups",           /* m_name */
    "C accelerator for websockets.", /* m_doc */
    0,                               /* m_size: no module state */
    speedups_methods,                /* m_methods */
    speedups_slots,                  /* m_slots */
    NULL,                            /* m_traverse */
    NULL,                            /* m_clear */
    NULL,                            /* m_free */
};

PyMODINIT_FUNC
PyInit_speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
