/* C accelerator for websockets: XOR-masking of frame payloads.
 *
 * RFC 6455 section 5.3: octet i of the transformed data is octet i of the
 * original data XOR octet (i MOD 4) of the masking key. This module does it
 * eight bytes at a time; websockets.utils falls back to pure Python when this
 * module isn't compiled.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static int
get_buffer(PyObject *obj, Py_buffer *view, PyObject **holder)
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
    if (get_buffer(data_obj, &data, &data_holder) == -1) {
        return NULL;
    }
    if (get_buffer(mask_obj, &mask, &mask_holder) == -1) {
        goto release_data;
    }
    if (mask.len != 4) {
        PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
        goto release_mask;
    }

    result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result == NULL) {
        goto release_mask;
    }

    {
        const unsigned char *in = (const unsigned char *)data.buf;
        const unsigned char *key = (const unsigned char *)mask.buf;
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        Py_ssize_t len = data.len, i = 0;
        uint32_t key32;
        uint64_t key64;

        memcpy(&key32, key, 4);
        key64 = ((uint64_t)key32 << 32) | key32;

        Py_BEGIN_ALLOW_THREADS
        /* Four words per iteration: the compiler turns this into wide
         * loads and stores. memcpy keeps unaligned access well-defined. */
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
        /* i is a multiple of 8, hence of 4: the key phase is i & 3 == 0. */
        for (; i < len; i++) {
            out[i] = in[i] ^ key[i & 3];
        }
        Py_END_ALLOW_THREADS
    }

release_mask:
    PyBuffer_Release(&mask);
    Py_XDECREF(mask_holder);
release_data:
    PyBuffer_Release(&data);
    Py_XDECREF(data_holder);
    return result;
}

static PyMethodDef speedups_methods[] = {
    {
        "apply_mask",
        (PyCFunction)(void (*)(void))apply_mask,
        METH_VARARGS | METH_KEYWORDS,
        "apply_mask(data, mask)\n--\n\n"
        "Apply a 4-byte masking key to data and return bytes (RFC 6455 5.3).",
    },
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "websockets.speedups",
    "C accelerator for websockets.",
    -1,
    speedups_methods,
};

PyMODINIT_FUNC
PyInit_speedups(void)
{
    return PyModule_Create(&speedups_module);
}
