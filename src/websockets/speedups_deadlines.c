/* C accelerator for websockets, part three: timers with a fixed delay.
 *
 * websockets.deadlines keeps the timers that a connection arms with the same
 * delay (open_timeout, the keepalive, close_timeout) in a first-in, first-out
 * queue per event loop and delay, with one loop timer for the earliest of
 * them. Nearly every timer is cancelled before it expires: arming and
 * cancelling run on every connection. This file implements them in C:
 *
 * - Deadline: a timer of a queue (when, callback, queue) and its cancel();
 * - DeadlineQueueBase: the queue's state (loop, delay, entries, armed, dead)
 *   and add(). websockets.deadlines.DeadlineQueue derives from it and adds
 *   the rest in Python (_arm, _fire, _rearm: once per loop timer, not per
 *   connection).
 *
 * Their pure-Python twins, with the same behaviour, are
 * websockets.deadlines._PyDeadline and _PyQueueBase. A queue belongs to its
 * event loop and is only used from that loop's thread. Part of the module
 * websockets.speedups (speedups.c registers the types).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* Cancelled timers are dropped from the head of a queue at once, from the
 * middle when they outnumber the live ones (and there are more than this):
 * websockets.deadlines._COMPACT_AFTER. */
#define COMPACT_AFTER 64

typedef struct {
    PyObject_HEAD
    PyObject *loop;
    PyObject *entries; /* collections.deque of Deadline */
    PyObject *armed;   /* when the loop timer is due, or None */
    double delay;
    Py_ssize_t dead; /* how many entries are cancelled */
} QueueObject;

typedef struct {
    PyObject_HEAD
    double when;
    PyObject *callback; /* NULL or None once cancelled or fired */
    QueueObject *queue;
} DeadlineObject;

static PyTypeObject DeadlineType;
static PyTypeObject QueueType;

/* collections.deque and interned method names, set by
 * _websockets_add_deadline_types(). */
static PyObject *deque_type;
static PyObject *str_time, *str_append, *str_popleft, *str_arm, *str_clear,
    *str_extend;

static int
is_live(PyObject *entry)
{
    PyObject *callback;
    if (!PyObject_TypeCheck(entry, &DeadlineType)) {
        return 1; /* not ours: never dropped here */
    }
    callback = ((DeadlineObject *)entry)->callback;
    return callback != NULL && callback != Py_None;
}

/* Deadline */

static int
deadline_traverse(DeadlineObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->callback);
    Py_VISIT(self->queue);
    return 0;
}

static int
deadline_clear(DeadlineObject *self)
{
    Py_CLEAR(self->callback);
    Py_CLEAR(self->queue);
    return 0;
}

static void
deadline_dealloc(DeadlineObject *self)
{
    PyObject_GC_UnTrack(self);
    deadline_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Drop cancelled entries at the head of the queue. */
static int
drop_head(QueueObject *queue)
{
    PyObject *entries = queue->entries, *first, *popped;
    int live;
    for (;;) {
        Py_ssize_t length = PyObject_Length(entries);
        if (length == -1) {
            return -1;
        }
        if (length == 0) {
            return 0;
        }
        first = PySequence_GetItem(entries, 0);
        if (first == NULL) {
            return -1;
        }
        live = is_live(first);
        Py_DECREF(first);
        if (live) {
            return 0;
        }
        popped = PyObject_CallMethodNoArgs(entries, str_popleft);
        if (popped == NULL) {
            return -1;
        }
        Py_DECREF(popped);
        queue->dead--;
    }
}

/* Keep the live entries only, in place: _fire() may be iterating. */
static int
compact(QueueObject *queue)
{
    PyObject *entries = queue->entries, *live, *iterator, *entry, *result;
    live = PyList_New(0);
    if (live == NULL) {
        return -1;
    }
    iterator = PyObject_GetIter(entries);
    if (iterator == NULL) {
        goto error;
    }
    while ((entry = PyIter_Next(iterator)) != NULL) {
        if (is_live(entry) && PyList_Append(live, entry) == -1) {
            Py_DECREF(entry);
            Py_DECREF(iterator);
            goto error;
        }
        Py_DECREF(entry);
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) {
        goto error;
    }
    result = PyObject_CallMethodNoArgs(entries, str_clear);
    if (result == NULL) {
        goto error;
    }
    Py_DECREF(result);
    result = PyObject_CallMethodOneArg(entries, str_extend, live);
    if (result == NULL) {
        goto error;
    }
    Py_DECREF(result);
    Py_DECREF(live);
    queue->dead = 0;
    return 0;
error:
    Py_DECREF(live);
    return -1;
}

static PyObject *
deadline_cancel(DeadlineObject *self, PyObject *Py_UNUSED(ignored))
{
    QueueObject *queue = self->queue;
    PyObject *first;
    Py_ssize_t length;
    int is_first;
    if (!is_live((PyObject *)self) || queue == NULL) {
        Py_RETURN_NONE;
    }
    Py_CLEAR(self->callback);
    queue->dead++;
    length = PyObject_Length(queue->entries);
    if (length == -1) {
        return NULL;
    }
    if (length == 0) {
        Py_RETURN_NONE;
    }
    first = PySequence_GetItem(queue->entries, 0);
    if (first == NULL) {
        return NULL;
    }
    is_first = first == (PyObject *)self;
    Py_DECREF(first);
    /* Short connections close in about the order they opened: their timers
     * usually leave from the head. */
    if (is_first) {
        if (drop_head(queue) == -1) {
            return NULL;
        }
    }
    else if (queue->dead > COMPACT_AFTER && 2 * queue->dead > length) {
        /* Bound what cancelled timers hold, whatever the order. */
        if (compact(queue) == -1) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}

static PyMethodDef deadline_methods[] = {
    {"cancel", (PyCFunction)deadline_cancel, METH_NOARGS,
     "cancel()\n--\n\n"
     "Cancel the timer; no effect once it fired or was cancelled."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef deadline_members[] = {
    {"when", T_DOUBLE, offsetof(DeadlineObject, when), 0,
     "When the timer expires, in the loop's time."},
    {"callback", T_OBJECT, offsetof(DeadlineObject, callback), 0,
     "What to call then; None once cancelled or fired."},
    {"queue", T_OBJECT, offsetof(DeadlineObject, queue), READONLY,
     "The queue it belongs to."},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject DeadlineType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "websockets.speedups.Deadline",
    .tp_basicsize = sizeof(DeadlineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A timer of a deadline queue, made by its add() method.",
    .tp_traverse = (traverseproc)deadline_traverse,
    .tp_clear = (inquiry)deadline_clear,
    .tp_dealloc = (destructor)deadline_dealloc,
    .tp_methods = deadline_methods,
    .tp_members = deadline_members,
};

/* DeadlineQueueBase */

static int
queue_init(QueueObject *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"loop", "delay", NULL};
    PyObject *loop, *entries;
    double delay;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Od:DeadlineQueue", keywords,
                                     &loop, &delay)) {
        return -1;
    }
    entries = PyObject_CallNoArgs(deque_type);
    if (entries == NULL) {
        return -1;
    }
    Py_INCREF(loop);
    Py_XSETREF(self->loop, loop);
    Py_XSETREF(self->entries, entries);
    Py_INCREF(Py_None);
    Py_XSETREF(self->armed, Py_None);
    self->delay = delay;
    self->dead = 0;
    return 0;
}

static int
queue_traverse(QueueObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->loop);
    Py_VISIT(self->entries);
    Py_VISIT(self->armed);
    return 0;
}

static int
queue_clear(QueueObject *self)
{
    Py_CLEAR(self->loop);
    Py_CLEAR(self->entries);
    Py_CLEAR(self->armed);
    return 0;
}

static void
queue_dealloc(QueueObject *self)
{
    PyObject_GC_UnTrack(self);
    queue_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
queue_add(QueueObject *self, PyObject *callback)
{
    PyObject *now, *result;
    DeadlineObject *entry;
    double when;
    if (self->entries == NULL || self->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "DeadlineQueue isn't initialized");
        return NULL;
    }
    now = PyObject_CallMethodNoArgs(self->loop, str_time);
    if (now == NULL) {
        return NULL;
    }
    when = PyFloat_AsDouble(now);
    Py_DECREF(now);
    if (when == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    when += self->delay;
    entry = PyObject_GC_New(DeadlineObject, &DeadlineType);
    if (entry == NULL) {
        return NULL;
    }
    entry->when = when;
    Py_INCREF(callback);
    entry->callback = callback;
    Py_INCREF(self);
    entry->queue = self;
    PyObject_GC_Track(entry);
    result = PyObject_CallMethodOneArg(self->entries, str_append, (PyObject *)entry);
    if (result == NULL) {
        Py_DECREF(entry);
        return NULL;
    }
    Py_DECREF(result);
    if (self->armed == NULL || self->armed == Py_None) {
        PyObject *at = PyFloat_FromDouble(when);
        if (at == NULL) {
            Py_DECREF(entry);
            return NULL;
        }
        result = PyObject_CallMethodOneArg((PyObject *)self, str_arm, at);
        Py_DECREF(at);
        if (result == NULL) {
            Py_DECREF(entry);
            return NULL;
        }
        Py_DECREF(result);
    }
    return (PyObject *)entry;
}

static PyMethodDef queue_methods[] = {
    {"add", (PyCFunction)queue_add, METH_O,
     "add(callback)\n--\n\n"
     "Call callback after the queue's delay, unless cancelled; return the\n"
     "Deadline."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef queue_members[] = {
    {"loop", T_OBJECT, offsetof(QueueObject, loop), READONLY, "The event loop."},
    {"delay", T_DOUBLE, offsetof(QueueObject, delay), READONLY,
     "The delay of every timer of the queue."},
    {"entries", T_OBJECT, offsetof(QueueObject, entries), READONLY,
     "The timers, in the order they were armed: a deque."},
    {"armed", T_OBJECT, offsetof(QueueObject, armed), 0,
     "When the loop timer of the queue is due, if there's one."},
    {"dead", T_PYSSIZET, offsetof(QueueObject, dead), 0,
     "How many entries are cancelled."},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject QueueType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "websockets.speedups.DeadlineQueueBase",
    .tp_basicsize = sizeof(QueueObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "DeadlineQueueBase(loop, delay): the state of a deadline queue\n"
              "and its add() method.",
    .tp_traverse = (traverseproc)queue_traverse,
    .tp_clear = (inquiry)queue_clear,
    .tp_dealloc = (destructor)queue_dealloc,
    .tp_methods = queue_methods,
    .tp_members = queue_members,
    .tp_init = (initproc)queue_init,
    .tp_new = PyType_GenericNew,
};

/* Called by speedups.c when the module is executed. */
int
_websockets_add_deadline_types(PyObject *module)
{
    PyObject *collections;
    if (deque_type == NULL) {
        collections = PyImport_ImportModule("collections");
        if (collections == NULL) {
            return -1;
        }
        deque_type = PyObject_GetAttrString(collections, "deque");
        Py_DECREF(collections);
        if (deque_type == NULL) {
            return -1;
        }
        str_time = PyUnicode_InternFromString("time");
        str_append = PyUnicode_InternFromString("append");
        str_popleft = PyUnicode_InternFromString("popleft");
        str_arm = PyUnicode_InternFromString("_arm");
        str_clear = PyUnicode_InternFromString("clear");
        str_extend = PyUnicode_InternFromString("extend");
        if (str_time == NULL || str_append == NULL || str_popleft == NULL ||
            str_arm == NULL || str_clear == NULL || str_extend == NULL) {
            return -1;
        }
    }
    if (PyType_Ready(&DeadlineType) < 0 || PyType_Ready(&QueueType) < 0) {
        return -1;
    }
    Py_INCREF(&DeadlineType);
    if (PyModule_AddObject(module, "Deadline", (PyObject *)&DeadlineType) < 0) {
        Py_DECREF(&DeadlineType);
        return -1;
    }
    Py_INCREF(&QueueType);
    if (PyModule_AddObject(module, "DeadlineQueueBase", (PyObject *)&QueueType) < 0) {
        Py_DECREF(&QueueType);
        return -1;
    }
    return 0;
}
