/*
 * replay.c: time a list of oneDNN primitives with whichever oneDNN it is
 * compiled against, so that two library versions can be compared kernel
 * against kernel.
 *
 * The same file builds against oneDNN 2.x (operation descriptors, then
 * dnnl_primitive_desc_create) and 3.x (one *_primitive_desc_create function per
 * primitive, opaque memory descriptors); the `#if V3` blocks are the only
 * version-specific code.
 *
 *   replay PROBLEMS [budget_ms]
 *
 * PROBLEMS has one problem a line, written by bench.py from a DNNL_VERBOSE log:
 *
 *   conv_fwd prop=inference g=1 mb=1 ic=24 oc=144 ih=59 iw=59 oh=59 ow=59
 *            kh=1 kw=1 sh=1 sw=1 dh=0 dw=0 ph=0 pw=0 bias=1
 *            post=binary:mul:2+binary:add:2+eltwise:clip_v2:0:6
 *   conv_bwd_data   (same keys, no bias or post)
 *   eltwise_fwd  alg=clip_v2 alpha=0 beta=6 prop=training data=acdb:1x480x15x15
 *   eltwise_bwd  alg=clip_v2_use_dst_for_bwd alpha=0 beta=6 data=acdb:1x480x15x15
 *   binary       alg=add src0=acdb:1x80x15x15 src1=abcd:1x80x1x1 dst=acdb:1x80x15x15
 *   pool_fwd / pool_bwd  alg=pooling_avg_include_padding prop=training
 *                src=acdb:1x1280x7x7 dst=acdb:1x1280x1x1 kh kw sh sw dh dw ph pw
 *   matmul       src=ab:1x1280 wei=ba:1280x1000 dst=ab:1x1000 [bias=ab:1x1000]
 *   reorder      src=abcd:1x3x224x224 dst=acdb:1x3x224x224
 *
 * Convolutions are created the way Loupe creates them (PrimitiveCache in
 * Sources/LoupeTensor/DNNL/Primitive.swift, Tensor+Conv.swift): each layout
 * choice in turn until oneDNN offers a JIT kernel, the best class of kernel
 * winning (reference < generic < jit, the earliest among equals):
 *
 *   conv_fwd       given (format_tag_any for src, weights, dst), then plain
 *   conv_bwd_data  given (the src and dst layouts this library's forward
 *                  primitive chose for the same geometry, weights any), then
 *                  chosen (all any), then plain; the hint is the forward
 *                  training primitive, made the same way
 *
 * so each library runs the kernel it would run inside Loupe. The other
 * primitives keep the layouts of the log (Loupe passes them the layouts of
 * their operands). Keys this program does not know (such as log=) are
 * ignored.
 *
 * For each problem it creates the primitive (timed: that is the one-off
 * cost, JIT compilation included), fills its inputs, runs it 3 times to warm up,
 * then times enough runs to fill about budget_ms (at least 5, at most 200),
 * each followed by a stream wait. It prints one tab-separated line a problem:
 *
 *   index  median_ms  min_ms  runs  create_ms  implementation  choice  layouts
 *          [tried]
 *
 * where choice is given, chosen or plain (the layout choice that won), layouts
 * the tags of the primitive's main operands as src/weights/dst (diff_src/
 * weights/diff_dst for backward data; ? for a layout outside the list below),
 * and tried the other choices' implementations, as `impl@choice,...`.
 *
 * or `index  error  message` when a library cannot build that primitive.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oneapi/dnnl/dnnl.h"

#define V3 (DNNL_VERSION_MAJOR >= 3)

#if V3
typedef const_dnnl_memory_desc_t md_t;
#else
typedef const dnnl_memory_desc_t *md_t;
#endif

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static const char *error; /* what failed in the current problem */

#define TRY(call)                                                              \
    do {                                                                       \
        dnnl_status_t s_ = (call);                                             \
        if (s_ != dnnl_success) {                                              \
            if (!error) error = #call;                                         \
            return s_;                                                         \
        }                                                                      \
    } while (0)

/* ---- the problem line: KIND key=value ... ---- */

#define MAX_TOKENS 64
static char *keys[MAX_TOKENS], *values[MAX_TOKENS];
static int ntokens;

static const char *get(const char *key)
{
    for (int i = 0; i < ntokens; i++)
        if (strcmp(keys[i], key) == 0) return values[i];
    return NULL;
}

static long geti(const char *key, long fallback)
{
    const char *v = get(key);
    return v ? atol(v) : fallback;
}

static float getf(const char *key, float fallback)
{
    const char *v = get(key);
    return v ? (float)atof(v) : fallback;
}

/* ---- names in the log -> oneDNN enums ---- */

/* Layout names as the verbose log prints them. Tags missing here (such as the
 * internal debcA16a) make that problem report an error and be left out. */
#define TAGS(X)                                                                \
    X(a) X(ab) X(ba) X(abc) X(acb) X(abcd) X(acdb) X(abcde) X(aBcd8b)          \
    X(aBcd16b) X(Abcde8a) X(Abcde16a) X(Acdb8a) X(Acdb16a) X(Acdb32a)          \
    X(Acdb48a) X(Acdb64a) X(ABcd8a8b) X(ABcd8b8a) X(ABcd16a16b) X(ABcd16b16a)  \
    X(BAcd16a16b) X(aBcd4b) X(Acdb4a) X(Abcd8a) X(Abcd16a) X(aBCde8b8c)       \
    X(aBCde16b16c) X(aBCde16c16b) X(ABcd4b4a)                              \
    X(ABcde8a8b) X(abdec) X(acdeb) X(Abcde4a) X(Abcde32a)

static const struct { const char *name; dnnl_format_tag_t tag; } tags[] = {
#define TAG_ENTRY(t) {#t, dnnl_##t},
    TAGS(TAG_ENTRY) {"any", dnnl_format_tag_any},
};

static const struct { const char *name; dnnl_alg_kind_t alg; } algs[] = {
    {"relu", dnnl_eltwise_relu},
    {"relu_use_dst_for_bwd", dnnl_eltwise_relu_use_dst_for_bwd},
    {"clip_v2", dnnl_eltwise_clip_v2},
    {"clip_v2_use_dst_for_bwd", dnnl_eltwise_clip_v2_use_dst_for_bwd},
    {"linear", dnnl_eltwise_linear},
    {"logistic", dnnl_eltwise_logistic},
    {"logistic_use_dst_for_bwd", dnnl_eltwise_logistic_use_dst_for_bwd},
    {"tanh", dnnl_eltwise_tanh},
    {"exp", dnnl_eltwise_exp},
    {"log", dnnl_eltwise_log},
    {"abs", dnnl_eltwise_abs},
    {"sqrt", dnnl_eltwise_sqrt},
    {"square", dnnl_eltwise_square},
    {"gelu_erf", dnnl_eltwise_gelu_erf},
    {"add", dnnl_binary_add},
    {"mul", dnnl_binary_mul},
    {"sub", dnnl_binary_sub},
    {"div", dnnl_binary_div},
    {"max", dnnl_binary_max},
    {"min", dnnl_binary_min},
    {"pooling_max", dnnl_pooling_max},
    {"pooling_avg_include_padding", dnnl_pooling_avg_include_padding},
    {"pooling_avg_exclude_padding", dnnl_pooling_avg_exclude_padding},
};

static int find_alg(const char *name, dnnl_alg_kind_t *alg)
{
    for (size_t i = 0; name && i < sizeof algs / sizeof *algs; i++)
        if (strcmp(algs[i].name, name) == 0) return *alg = algs[i].alg, 1;
    return 0;
}

static int use_dst_for_bwd(const char *alg)
{
    return alg && strstr(alg, "use_dst_for_bwd") != NULL;
}

/* ---- memory descriptors (f32 only: Loupe computes in f32) ---- */

#define MAX_MDS 64
/* 3.x: handles to destroy; 2.x: the descriptors themselves (plain structs). */
static dnnl_memory_desc_t made[MAX_MDS];
static int nmade;

static dnnl_status_t new_md(md_t *md, int nd, const dnnl_dims_t dims,
        dnnl_format_tag_t tag)
{
    if (nmade == MAX_MDS) return dnnl_out_of_memory;
#if V3
    TRY(dnnl_memory_desc_create_with_tag(&made[nmade], nd, dims, dnnl_f32, tag));
    *md = made[nmade++];
#else
    TRY(dnnl_memory_desc_init_by_tag(&made[nmade], nd, dims, dnnl_f32, tag));
    *md = &made[nmade++];
#endif
    return dnnl_success;
}

static void free_mds(void)
{
#if V3
    for (int i = 0; i < nmade; i++) dnnl_memory_desc_destroy(made[i]);
#endif
    nmade = 0;
}

/* "acdb:1x80x15x15" -> descriptor */
static dnnl_status_t parse_md(md_t *md, const char *key)
{
    const char *spec = get(key);
    if (!spec) return error = key, dnnl_invalid_arguments;
    const char *colon = strchr(spec, ':');
    if (!colon) return error = spec, dnnl_invalid_arguments;
    dnnl_format_tag_t tag = dnnl_format_tag_undef;
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (strlen(tags[i].name) == (size_t)(colon - spec)
                && strncmp(tags[i].name, spec, colon - spec) == 0)
            tag = tags[i].tag;
    if (tag == dnnl_format_tag_undef) return error = spec, dnnl_unimplemented;
    dnnl_dims_t dims;
    int nd = 0;
    for (const char *p = colon + 1; *p && nd < DNNL_MAX_NDIMS; nd++) {
        char *end;
        dims[nd] = strtol(p, &end, 10);
        p = *end == 'x' ? end + 1 : end;
    }
    return new_md(md, nd, dims, tag);
}

/* ---- building one primitive descriptor per kind ---- */

/* Execution arguments of the current primitive, in the order they are
 * queried from its primitive descriptor. */
static int args[16], nargs;
static void want(int arg) { args[nargs++] = arg; }

/* Convolution geometry, read once for forward and backward. */
typedef struct {
    dnnl_dims_t src, dst, wei, strides, dil, pl, pr;
    int wei_nd;
    long oc;
} conv_t;

static long right_pad(long i, long o, long k, long s, long d, long l)
{
    return (o - 1) * s - i + (k - 1) * (d + 1) + 1 - l;
}

static conv_t conv_geometry(void)
{
    conv_t c;
    long g = geti("g", 1), mb = geti("mb", 1), ic = geti("ic", 0),
         oc = geti("oc", 0), ih = geti("ih", 0), iw = geti("iw", 0),
         oh = geti("oh", 0), ow = geti("ow", 0), kh = geti("kh", 1),
         kw = geti("kw", 1), sh = geti("sh", 1), sw = geti("sw", 1),
         dh = geti("dh", 0), dw = geti("dw", 0), ph = geti("ph", 0),
         pw = geti("pw", 0);
    long src[] = {mb, ic, ih, iw}, dst[] = {mb, oc, oh, ow};
    memcpy(c.src, src, sizeof src);
    memcpy(c.dst, dst, sizeof dst);
    if (g > 1) {
        long w[] = {g, oc / g, ic / g, kh, kw};
        memcpy(c.wei, w, sizeof w);
        c.wei_nd = 5;
    } else {
        long w[] = {oc, ic, kh, kw};
        memcpy(c.wei, w, sizeof w);
        c.wei_nd = 4;
    }
    c.strides[0] = sh, c.strides[1] = sw;
    c.dil[0] = dh, c.dil[1] = dw;
    c.pl[0] = ph, c.pl[1] = pw;
    c.pr[0] = right_pad(ih, oh, kh, sh, dh, ph);
    c.pr[1] = right_pad(iw, ow, kw, sw, dw, pw);
    c.oc = oc;
    return c;
}

/* post=binary:mul:2+binary:add:2+eltwise:clip_v2:0:6 (binary mask 2 = one
 * value per output channel, anything else = a whole dst-shaped tensor) */
static dnnl_status_t post_ops(dnnl_primitive_attr_t attr, const conv_t *c)
{
    const char *spec = get("post");
    if (!spec) return dnnl_success;
    dnnl_post_ops_t ops;
    TRY(dnnl_post_ops_create(&ops));
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    int index = 0;
    for (char *save, *op = strtok_r(buf, "+", &save); op;
            op = strtok_r(NULL, "+", &save), index++) {
        char kind[16] = "", name[64] = "";
        float a = 0, b = 0;
        if (sscanf(op, "%15[^:]:%63[^:]:%f:%f", kind, name, &a, &b) < 2)
            return error = op, dnnl_invalid_arguments;
        dnnl_alg_kind_t alg;
        if (!find_alg(name, &alg)) return error = op, dnnl_unimplemented;
        if (strcmp(kind, "eltwise") == 0) {
#if V3
            TRY(dnnl_post_ops_append_eltwise(ops, alg, a, b));
#else
            TRY(dnnl_post_ops_append_eltwise(ops, 1.f, alg, a, b));
#endif
        } else {
            md_t src1;
            dnnl_dims_t per_channel = {1, c->oc, 1, 1};
            if ((int)a == 2)
                TRY(new_md(&src1, 4, per_channel, dnnl_abcd));
            else
                TRY(new_md(&src1, 4, c->dst, dnnl_acdb));
            TRY(dnnl_post_ops_append_binary(ops, alg, src1));
            want(DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1);
        }
    }
    TRY(dnnl_primitive_attr_set_post_ops(attr, ops));
    dnnl_post_ops_destroy(ops);
    return dnnl_success;
}

/* ---- Loupe's layout policy (PrimitiveCache.create) ---- */

enum { GIVEN, CHOSEN, PLAIN };
static const char *choice_names[] = {"given", "chosen", "plain"};
enum { REFERENCE, GENERIC, JIT };

static const char *impl_of(const_dnnl_primitive_desc_t pd)
{
    const char *impl = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    return impl ? impl : "";
}

/* KernelClass(implementation:kind:) in Primitive.swift. */
static int kernel_class(const char *name, const char *kind)
{
    if (strncmp(name, "ref", 3) == 0 || strstr(name, ":ref") || !*name)
        return REFERENCE;
    if (strncmp(name, "simple", 6) == 0
            || (strncmp(kind, "conv", 4) == 0 && strstr(name, "gemm:")))
        return GENERIC;
    return JIT;
}

static int chosen_choice;   /* the choice that won for the current problem */
static char tried[256];     /* the others, impl@choice,... */

typedef dnnl_status_t (*make_fn)(dnnl_primitive_desc_t *, int choice, void *);

/* Creates a descriptor with each choice in turn until one has a JIT kernel;
 * keeps the best class (the earliest among equals). */
static dnnl_status_t with_policy(dnnl_primitive_desc_t *pd, const char *kind,
        const int *choices, int n, make_fn make, void *ctx, int *won)
{
    dnnl_primitive_desc_t best = NULL;
    int best_class = -1, best_choice = -1;
    dnnl_status_t first = dnnl_success;
    char buf[256] = "";
    for (int i = 0; i < n; i++) {
        dnnl_primitive_desc_t d = NULL;
        dnnl_status_t s = make(&d, choices[i], ctx);
        if (s != dnnl_success) {
            if (first == dnnl_success) first = s;
            continue;
        }
        int k = kernel_class(impl_of(d), kind);
        const char *loser_impl;
        int loser_choice;
        if (best && best_class >= k) {
            loser_impl = impl_of(d), loser_choice = choices[i];
        } else {
            if (best) loser_impl = impl_of(best), loser_choice = best_choice;
            else loser_impl = NULL, loser_choice = -1;
        }
        if (loser_impl) {
            size_t len = strlen(buf);
            snprintf(buf + len, sizeof buf - len, "%s%s@%s", len ? "," : "",
                    loser_impl, choice_names[loser_choice]);
        }
        if (best && best_class >= k) {
            dnnl_primitive_desc_destroy(d);
        } else {
            if (best) dnnl_primitive_desc_destroy(best);
            best = d, best_class = k, best_choice = choices[i];
        }
        if (k == JIT) break;
    }
    if (!best) return first != dnnl_success ? first : dnnl_unimplemented;
    *pd = best;
    if (won) *won = best_choice;
    if (pd != NULL && won == &chosen_choice)
        snprintf(tried, sizeof tried, "%s", buf);
    return dnnl_success;
}

/* ---- convolutions ---- */

static dnnl_status_t conv_fwd_pd(dnnl_primitive_desc_t *pd,
        dnnl_prop_kind_t prop, const conv_t *c, int bias,
        const_dnnl_primitive_attr_t attr, int choice)
{
    md_t src, wei, dst, b = NULL;
    dnnl_dims_t oc = {c->oc};
    dnnl_format_tag_t data = choice == PLAIN ? dnnl_abcd : dnnl_format_tag_any;
    dnnl_format_tag_t weights = choice != PLAIN ? dnnl_format_tag_any
            : c->wei_nd == 5 ? dnnl_abcde : dnnl_abcd;
    TRY(new_md(&src, 4, c->src, data));
    TRY(new_md(&wei, c->wei_nd, c->wei, weights));
    TRY(new_md(&dst, 4, c->dst, data));
    if (bias) TRY(new_md(&b, 1, oc, dnnl_a));
#if V3
    TRY(dnnl_convolution_forward_primitive_desc_create(pd, engine, prop,
            dnnl_convolution_direct, src, wei, b, dst, c->strides, c->dil,
            c->pl, c->pr, attr));
#else
    dnnl_convolution_desc_t d;
    TRY(dnnl_dilated_convolution_forward_desc_init(&d, prop,
            dnnl_convolution_direct, src, wei, b, dst, c->strides, c->dil,
            c->pl, c->pr));
    TRY(dnnl_primitive_desc_create(pd, &d, attr, engine, NULL));
#endif
    return dnnl_success;
}

typedef struct {
    const conv_t *c;
    dnnl_prop_kind_t prop;
    int bias;
    const_dnnl_primitive_attr_t attr;
    /* backward data */
    md_t given_src, given_dst;
    const_dnnl_primitive_desc_t hint;
} conv_ctx_t;

static dnnl_status_t make_conv_fwd(dnnl_primitive_desc_t *pd, int choice, void *p)
{
    conv_ctx_t *x = p;
    return conv_fwd_pd(pd, x->prop, x->c, x->bias, x->attr, choice);
}

static dnnl_status_t make_conv_bwd_data(dnnl_primitive_desc_t *pd, int choice,
        void *p)
{
    conv_ctx_t *x = p;
    const conv_t *c = x->c;
    md_t dsrc, wei, ddst;
    if (choice == GIVEN) {
        dsrc = x->given_src, ddst = x->given_dst;
    } else {
        dnnl_format_tag_t t = choice == PLAIN ? dnnl_abcd : dnnl_format_tag_any;
        TRY(new_md(&dsrc, 4, c->src, t));
        TRY(new_md(&ddst, 4, c->dst, t));
    }
    TRY(new_md(&wei, c->wei_nd, c->wei, dnnl_format_tag_any));
#if V3
    TRY(dnnl_convolution_backward_data_primitive_desc_create(pd, engine,
            dnnl_convolution_direct, dsrc, wei, ddst, c->strides, c->dil,
            c->pl, c->pr, x->hint, NULL));
#else
    dnnl_convolution_desc_t d;
    TRY(dnnl_dilated_convolution_backward_data_desc_init(&d,
            dnnl_convolution_direct, dsrc, wei, ddst, c->strides, c->dil,
            c->pl, c->pr));
    TRY(dnnl_primitive_desc_create(pd, &d, NULL, engine, x->hint));
#endif
    return dnnl_success;
}

static const int GIVEN_OR_PLAIN[] = {GIVEN, PLAIN};
static const int ALL_CHOICES[] = {GIVEN, CHOSEN, PLAIN};

static dnnl_status_t conv(dnnl_primitive_desc_t *pd, dnnl_primitive_desc_t *hint,
        int backward)
{
    conv_t c = conv_geometry();
    if (!backward) {
        const char *p = get("prop");
        conv_ctx_t x = {.c = &c, .bias = (int)geti("bias", 0),
                .prop = p && strcmp(p, "training") == 0
                        ? dnnl_forward_training : dnnl_forward_inference};
        dnnl_primitive_attr_t attr;
        TRY(dnnl_primitive_attr_create(&attr));
        x.attr = attr;
        dnnl_status_t s = post_ops(attr, &c);
        if (s == dnnl_success)
            s = with_policy(pd, "conv_fwd", GIVEN_OR_PLAIN, 2, make_conv_fwd,
                    &x, &chosen_choice);
        dnnl_primitive_attr_destroy(attr);
        if (s != dnnl_success) return s;
        want(DNNL_ARG_SRC), want(DNNL_ARG_WEIGHTS), want(DNNL_ARG_DST);
        if (x.bias) want(DNNL_ARG_BIAS);
        return dnnl_success;
    }
    /* The hint: Loupe's forward training primitive for the geometry. */
    conv_ctx_t f = {.c = &c, .prop = dnnl_forward_training};
    int ignored;
    TRY(with_policy(hint, "conv_fwd", GIVEN_OR_PLAIN, 2, make_conv_fwd, &f,
            &ignored));
    /* The given layouts: those the forward (inference) primitive of the
     * fused convolution chose, which the gradients keep. */
    dnnl_primitive_desc_t fwd = NULL;
    f.prop = dnnl_forward_inference;
    TRY(with_policy(&fwd, "conv_fwd", GIVEN_OR_PLAIN, 2, make_conv_fwd, &f,
            &ignored));
    conv_ctx_t x = {.c = &c, .hint = *hint,
            .given_src = dnnl_primitive_desc_query_md(fwd, dnnl_query_src_md, 0),
            .given_dst = dnnl_primitive_desc_query_md(fwd, dnnl_query_dst_md, 0)};
    dnnl_status_t s = with_policy(pd, "conv_bwd_data", ALL_CHOICES, 3,
            make_conv_bwd_data, &x, &chosen_choice);
    dnnl_primitive_desc_destroy(fwd);
    if (s != dnnl_success) return s;
    want(DNNL_ARG_DIFF_SRC), want(DNNL_ARG_WEIGHTS), want(DNNL_ARG_DIFF_DST);
    return dnnl_success;
}

static dnnl_status_t eltwise_fwd_pd(dnnl_primitive_desc_t *pd,
        dnnl_prop_kind_t prop, dnnl_alg_kind_t alg, md_t data, float a, float b)
{
#if V3
    TRY(dnnl_eltwise_forward_primitive_desc_create(pd, engine, prop, alg, data,
            data, a, b, NULL));
#else
    dnnl_eltwise_desc_t d;
    TRY(dnnl_eltwise_forward_desc_init(&d, prop, alg, data, a, b));
    TRY(dnnl_primitive_desc_create(pd, &d, NULL, engine, NULL));
#endif
    return dnnl_success;
}

static dnnl_status_t eltwise(dnnl_primitive_desc_t *pd,
        dnnl_primitive_desc_t *hint, int backward)
{
    dnnl_alg_kind_t alg;
    if (!find_alg(get("alg"), &alg)) return error = "alg", dnnl_unimplemented;
    float a = getf("alpha", 0), b = getf("beta", 0);
    md_t data;
    TRY(parse_md(&data, "data"));
    if (!backward) {
        const char *p = get("prop");
        TRY(eltwise_fwd_pd(pd, p && strcmp(p, "inference") == 0
                        ? dnnl_forward_inference : dnnl_forward_training,
                alg, data, a, b));
        want(DNNL_ARG_SRC), want(DNNL_ARG_DST);
        return dnnl_success;
    }
    TRY(eltwise_fwd_pd(hint, dnnl_forward_training, alg, data, a, b));
#if V3
    TRY(dnnl_eltwise_backward_primitive_desc_create(pd, engine, alg, data,
            data, data, a, b, *hint, NULL));
#else
    dnnl_eltwise_desc_t d;
    TRY(dnnl_eltwise_backward_desc_init(&d, alg, data, data, a, b));
    TRY(dnnl_primitive_desc_create(pd, &d, NULL, engine, *hint));
#endif
    want(use_dst_for_bwd(get("alg")) ? DNNL_ARG_DST : DNNL_ARG_SRC);
    want(DNNL_ARG_DIFF_DST), want(DNNL_ARG_DIFF_SRC);
    return dnnl_success;
}

static dnnl_status_t binary(dnnl_primitive_desc_t *pd)
{
    dnnl_alg_kind_t alg;
    if (!find_alg(get("alg"), &alg)) return error = "alg", dnnl_unimplemented;
    md_t s0, s1, dst;
    TRY(parse_md(&s0, "src0"));
    TRY(parse_md(&s1, "src1"));
    TRY(parse_md(&dst, "dst"));
#if V3
    TRY(dnnl_binary_primitive_desc_create(pd, engine, alg, s0, s1, dst, NULL));
#else
    dnnl_binary_desc_t d;
    TRY(dnnl_binary_desc_init(&d, alg, s0, s1, dst));
    TRY(dnnl_primitive_desc_create(pd, &d, NULL, engine, NULL));
#endif
    want(DNNL_ARG_SRC_0), want(DNNL_ARG_SRC_1), want(DNNL_ARG_DST);
    return dnnl_success;
}

static dnnl_status_t pool_fwd_pd(dnnl_primitive_desc_t *pd,
        dnnl_prop_kind_t prop, dnnl_alg_kind_t alg, md_t src, md_t dst,
        const conv_t *c, const dnnl_dims_t kernel)
{
#if V3
    TRY(dnnl_pooling_forward_primitive_desc_create(pd, engine, prop, alg, src,
            dst, c->strides, kernel, c->dil, c->pl, c->pr, NULL));
#else
    dnnl_pooling_v2_desc_t d;
    TRY(dnnl_pooling_v2_forward_desc_init(&d, prop, alg, src, dst, c->strides,
            kernel, c->dil, c->pl, c->pr));
    TRY(dnnl_primitive_desc_create(pd, &d, NULL, engine, NULL));
#endif
    return dnnl_success;
}

static dnnl_status_t pool(dnnl_primitive_desc_t *pd, dnnl_primitive_desc_t *hint,
        int backward)
{
    dnnl_alg_kind_t alg;
    if (!find_alg(get("alg"), &alg)) return error = "alg", dnnl_unimplemented;
    conv_t c = conv_geometry(); /* strides, dilation and padding */
    dnnl_dims_t kernel = {geti("kh", 1), geti("kw", 1)};
    md_t src, dst;
    TRY(parse_md(&src, "src"));
    TRY(parse_md(&dst, "dst"));
    if (!backward) {
        const char *p = get("prop");
        TRY(pool_fwd_pd(pd, p && strcmp(p, "inference") == 0
                        ? dnnl_forward_inference : dnnl_forward_training,
                alg, src, dst, &c, kernel));
        want(DNNL_ARG_SRC), want(DNNL_ARG_DST), want(DNNL_ARG_WORKSPACE);
        return dnnl_success;
    }
    TRY(pool_fwd_pd(hint, dnnl_forward_training, alg, src, dst, &c, kernel));
#if V3
    TRY(dnnl_pooling_backward_primitive_desc_create(pd, engine, alg, src, dst,
            c.strides, kernel, c.dil, c.pl, c.pr, *hint, NULL));
#else
    dnnl_pooling_v2_desc_t d;
    TRY(dnnl_pooling_v2_backward_desc_init(&d, alg, src, dst, c.strides,
            kernel, c.dil, c.pl, c.pr));
    TRY(dnnl_primitive_desc_create(pd, &d, NULL, engine, *hint));
#endif
    want(DNNL_ARG_DIFF_DST), want(DNNL_ARG_DIFF_SRC), want(DNNL_ARG_WORKSPACE);
    return dnnl_success;
}

static dnnl_status_t matmul(dnnl_primitive_desc_t *pd)
{
    md_t src, wei, dst, bias = NULL;
    TRY(parse_md(&src, "src"));
    TRY(parse_md(&wei, "wei"));
    TRY(parse_md(&dst, "dst"));
    if (get("bias")) TRY(parse_md(&bias, "bias"));
#if V3
    TRY(dnnl_matmul_primitive_desc_create(pd, engine, src, wei, bias, dst, NULL));
#else
    dnnl_matmul_desc_t d;
    TRY(dnnl_matmul_desc_init(&d, src, wei, bias, dst));
    TRY(dnnl_primitive_desc_create(pd, &d, NULL, engine, NULL));
#endif
    want(DNNL_ARG_SRC), want(DNNL_ARG_WEIGHTS), want(DNNL_ARG_DST);
    if (bias) want(DNNL_ARG_BIAS);
    return dnnl_success;
}

static dnnl_status_t reorder(dnnl_primitive_desc_t *pd)
{
    md_t src, dst;
    TRY(parse_md(&src, "src"));
    TRY(parse_md(&dst, "dst"));
    TRY(dnnl_reorder_primitive_desc_create(pd, src, engine, dst, engine, NULL));
    want(DNNL_ARG_FROM), want(DNNL_ARG_TO);
    return dnnl_success;
}

static dnnl_status_t make_pd(const char *kind, dnnl_primitive_desc_t *pd,
        dnnl_primitive_desc_t *hint)
{
    if (strcmp(kind, "conv_fwd") == 0) return conv(pd, hint, 0);
    if (strcmp(kind, "conv_bwd_data") == 0) return conv(pd, hint, 1);
    if (strcmp(kind, "eltwise_fwd") == 0) return eltwise(pd, hint, 0);
    if (strcmp(kind, "eltwise_bwd") == 0) return eltwise(pd, hint, 1);
    if (strcmp(kind, "binary") == 0) return binary(pd);
    if (strcmp(kind, "pool_fwd") == 0) return pool(pd, hint, 0);
    if (strcmp(kind, "pool_bwd") == 0) return pool(pd, hint, 1);
    if (strcmp(kind, "matmul") == 0) return matmul(pd);
    if (strcmp(kind, "reorder") == 0) return reorder(pd);
    error = kind;
    return dnnl_unimplemented;
}

/* ---- naming a layout ---- */

/* The tag (from the list above) that describes md, or "?". */
static void layout_name(md_t md, char *out, size_t n)
{
    snprintf(out, n, "?");
    if (!md) return;
    int nd;
    dnnl_dims_t dims;
#if V3
    const dnnl_dims_t *d;
    if (dnnl_memory_desc_query(md, dnnl_query_ndims_s32, &nd) != dnnl_success
            || dnnl_memory_desc_query(md, dnnl_query_dims, &d) != dnnl_success)
        return;
    memcpy(dims, *d, sizeof dims);
#else
    nd = md->ndims;
    memcpy(dims, md->dims, sizeof dims);
#endif
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
        if (tags[i].tag == dnnl_format_tag_any) continue;
        md_t candidate;
        int saved = nmade;
        const char *saved_error = error;
        if (new_md(&candidate, nd, dims, tags[i].tag) != dnnl_success) {
            error = saved_error;
            continue;
        }
        int same = dnnl_memory_desc_equal(md, candidate);
#if V3
        dnnl_memory_desc_destroy(made[saved]);
#endif
        nmade = saved;
        if (same) {
            snprintf(out, n, "%s", tags[i].name);
            return;
        }
    }
}

/* src/weights/dst layouts of a convolution, "-" for other kinds. */
static void layouts_of(const char *kind, const_dnnl_primitive_desc_t pd,
        char *out, size_t n)
{
    int bwd = strcmp(kind, "conv_bwd_data") == 0;
    if (strncmp(kind, "conv", 4) != 0) {
        snprintf(out, n, "-");
        return;
    }
    char a[32], b[32], c[32];
    layout_name(dnnl_primitive_desc_query_md(pd,
            bwd ? dnnl_query_diff_src_md : dnnl_query_src_md, 0), a, sizeof a);
    layout_name(dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), b,
            sizeof b);
    layout_name(dnnl_primitive_desc_query_md(pd,
            bwd ? dnnl_query_diff_dst_md : dnnl_query_dst_md, 0), c, sizeof c);
    snprintf(out, n, "%s/%s/%s", a, b, c);
}

/* ---- timing ---- */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Positive values in [0.01, 1.01): no NaN from sqrt/log, no denormals. */
static dnnl_status_t fill(dnnl_memory_t mem, size_t bytes)
{
    float *p;
    TRY(dnnl_memory_map_data(mem, (void **)&p));
    for (size_t i = 0; i < bytes / sizeof(float); i++)
        p[i] = 0.01f + (float)((i * 7919u) % 1000u) / 1000.f;
    TRY(dnnl_memory_unmap_data(mem, p));
    return dnnl_success;
}

typedef struct {
    double median, min, create;
    int runs;
    const char *impl;
    char layouts[100];
} result_t;

static dnnl_status_t run(const char *kind, double budget_ms, result_t *r,
        dnnl_primitive_desc_t *pd, dnnl_primitive_desc_t *hint,
        dnnl_primitive_t *prim, dnnl_exec_arg_t *exec, int *nexec)
{
    double t0 = now_ms();
    dnnl_status_t s = make_pd(kind, pd, hint);
    if (s != dnnl_success) return s;
    TRY(dnnl_primitive_create(prim, *pd));
    r->create = now_ms() - t0;
    TRY(dnnl_primitive_desc_query(*pd, dnnl_query_impl_info_str, 0, &r->impl));
    layouts_of(kind, *pd, r->layouts, sizeof r->layouts);

    for (int i = 0; i < nargs; i++) {
        md_t md = dnnl_primitive_desc_query_md(*pd, dnnl_query_exec_arg_md,
                args[i]);
        size_t bytes = md ? dnnl_memory_desc_get_size(md) : 0;
        if (bytes == 0) continue; /* e.g. no workspace */
        dnnl_memory_t mem;
        TRY(dnnl_memory_create(&mem, md, engine, DNNL_MEMORY_ALLOCATE));
        exec[*nexec].arg = args[i];
        exec[(*nexec)++].memory = mem;
        TRY(fill(mem, bytes));
    }

    enum { MAX_RUNS = 200, MIN_RUNS = 5 };
    static double times[MAX_RUNS];
    double t = 1e9;
    for (int i = 0; i < 3; i++) { /* warm-up, and a first estimate of t */
        t0 = now_ms();
        TRY(dnnl_primitive_execute(*prim, stream, *nexec, exec));
        TRY(dnnl_stream_wait(stream));
        t = fmin(t, now_ms() - t0);
    }
    int runs = t > 0 ? (int)(budget_ms / t) : MAX_RUNS;
    runs = runs < MIN_RUNS ? MIN_RUNS : runs > MAX_RUNS ? MAX_RUNS : runs;
    for (int i = 0; i < runs; i++) {
        t0 = now_ms();
        TRY(dnnl_primitive_execute(*prim, stream, *nexec, exec));
        TRY(dnnl_stream_wait(stream));
        times[i] = now_ms() - t0;
    }
    qsort(times, runs, sizeof *times, by_value);
    r->median = runs % 2 ? times[runs / 2]
                         : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    r->min = times[0];
    r->runs = runs;
    return dnnl_success;
}

/* Splits "kind k=v k=v" in place; returns the kind. */
static char *tokenize(char *line)
{
    ntokens = 0;
    char *save, *kind = strtok_r(line, " \t\n", &save);
    for (char *tok; (tok = strtok_r(NULL, " \t\n", &save))
            && ntokens < MAX_TOKENS;) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = '\0';
        keys[ntokens] = tok;
        values[ntokens++] = eq + 1;
    }
    return kind;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PROBLEMS [budget_ms]\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) return perror(argv[1]), 2;
    double budget = argc > 2 ? atof(argv[2]) : 40;

    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success
            || dnnl_stream_create(&stream, engine, dnnl_stream_default_flags)
                    != dnnl_success) {
        fprintf(stderr, "no oneDNN CPU engine\n");
        return 1;
    }
    const dnnl_version_t *v = dnnl_version();
    printf("# oneDNN %d.%d.%d cpu_runtime=%u isa=%#x\n", v->major, v->minor,
            v->patch, v->cpu_runtime, (unsigned)dnnl_get_effective_cpu_isa());

    char line[1024];
    for (int index = 0; fgets(line, sizeof line, in); index++) {
        char *kind = tokenize(line);
        if (!kind || kind[0] == '#') continue;
        result_t r = {0};
        dnnl_primitive_desc_t pd = NULL, hint = NULL;
        dnnl_primitive_t prim = NULL;
        dnnl_exec_arg_t exec[16];
        int nexec = 0;
        nargs = 0;
        error = NULL;
        chosen_choice = GIVEN;
        tried[0] = '\0';
        dnnl_status_t s = run(kind, budget, &r, &pd, &hint, &prim, exec, &nexec);
        if (s == dnnl_success)
            printf("%d\t%.5f\t%.5f\t%d\t%.3f\t%s\t%s\t%s\t%s\n", index,
                    r.median, r.min, r.runs, r.create, r.impl,
                    choice_names[chosen_choice], r.layouts, tried);
        else
            printf("%d\terror\t%d %s\n", index, (int)s, error ? error : "");
        fflush(stdout);
        for (int i = 0; i < nexec; i++) dnnl_memory_destroy(exec[i].memory);
        if (prim) dnnl_primitive_destroy(prim);
        if (pd) dnnl_primitive_desc_destroy(pd);
        if (hint) dnnl_primitive_desc_destroy(hint);
        free_mds();
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    return 0;
}
