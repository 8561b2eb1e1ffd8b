/* stylegan2.c — public entry points of the StyleGAN2 generator: info, build
 * (mapping + synthesis as one planned graph, or synthesis alone for w
 * inputs), and the run-time controls (truncation, noise). The graph ends with
 * an NHWC -> NCHW permute so the output has the reference's layout.
 * Tests: tests/test_stylegan2.c. */
#include <math.h>
#include <string.h>

#include "model.h"
#include "stylegan2.h"

tryon_status tryon_stylegan2_get_info(tryon_ctx *ctx, const tryon_weights *w,
                                      tryon_stylegan2_info *out) {
    memset(out, 0, sizeof *out);
    tr_sg2_config c;
    TR_TRY(tr_sg2_config_read(ctx, w, &c));
    out->z_dim = c.z_dim, out->c_dim = c.c_dim, out->w_dim = c.w_dim;
    out->num_ws = c.num_ws;
    out->resolution = c.resolution;
    out->img_channels = c.img_channels;
    out->mapping_layers = c.mapping_layers;
    out->has_w_avg = c.has_w_avg;
    out->conv_clamp = c.conv_clamp;
    out->architecture = tr_sg2_arch_name(c.arch);
    return TRYON_OK;
}

/* Index of the model input called name, or -1. */
static int has_tensor(const tr_graph *g, const char *name) {
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name)) return 1;
    return 0;
}

tryon_status tryon_stylegan2_build(tryon_ctx *ctx, const tryon_weights *w, int32_t batch,
                                   tryon_stylegan2_input input, tryon_model **out) {
    *out = NULL;
    if (batch < 1 || batch > 65536)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "stylegan2: batch %d outside 1..65536", batch);
    if (input != TRYON_STYLEGAN2_INPUT_Z && input != TRYON_STYLEGAN2_INPUT_W)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "stylegan2: invalid input kind %d", (int)input);
    tr_sg2_config cfg;
    TR_TRY(tr_sg2_config_read(ctx, w, &cfg));
    tr_graph *g;
    TR_TRY(tr_graph_init(ctx, &g));
    int32_t ws;
    if (input == TRYON_STYLEGAN2_INPUT_Z) {
        ws = tr_sg2_build_mapping(g, w, &cfg, batch);
    } else {
        int64_t s[3] = {batch, cfg.num_ws, cfg.w_dim};
        ws = tr_graph_input(g, "ws", TRYON_DTYPE_F32, 3, s);
    }
    int64_t cs[1] = {4};
    int32_t ctl = tr_graph_input(g, "noise", TRYON_DTYPE_I32, 1, cs);
    int32_t img = tr_sg2_build_synthesis(g, w, &cfg, ws, ctl, batch);
    static const int32_t to_nchw[4] = {0, 3, 1, 2};
    tr_graph_name(g, "synthesis.to_nchw");
    img = tr_permute(g, img, to_nchw);
    tr_graph_output(g, img, "img");
    if (input == TRYON_STYLEGAN2_INPUT_Z) tr_graph_output(g, ws, "ws");
    tryon_model *m;
    TR_TRY(tr_model_create(ctx, g, &m)); /* frees g on failure */
    if (input == TRYON_STYLEGAN2_INPUT_Z) {
        tryon_status st = tryon_stylegan2_set_truncation(m, 1.0f, -1);
        if (st != TRYON_OK) {
            tryon_model_free(m);
            return st;
        }
    }
    *out = m;
    return TRYON_OK;
}

tryon_status tryon_stylegan2_set_truncation(tryon_model *m, float psi, int32_t cutoff) {
    int32_t i = tryon_model_input_index(m, "psi");
    if (i < 0)
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG,
                       "stylegan2: truncation needs a model built with TRYON_STYLEGAN2_INPUT_Z");
    if (!isfinite(psi))
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "stylegan2: truncation psi must be finite");
    if (psi != 1.0f && !has_tensor(m->g, "mapping.w_avg"))
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG,
                       "stylegan2: this generator has no w_avg, so it cannot be truncated");
    const tr_tensor *t = &m->g->tensors[m->g->inputs[i]];
    /* Written through the model, which may live on a GPU. */
    float p[2 * TR_SG2_MAX_BLOCKS]; /* num_ws <= 2 per block */
    int64_t n = t->shape[0];
    TR_ASSERT(n <= 2 * TR_SG2_MAX_BLOCKS);
    for (int64_t k = 0; k < n; k++) p[k] = cutoff < 0 || k < cutoff ? psi : 1.0f;
    return tr_model_write(m, m->g->inputs[i], p, (size_t)n * sizeof *p);
}

tryon_status tryon_stylegan2_set_noise(tryon_model *m, tryon_stylegan2_noise mode, uint64_t seed) {
    int32_t i = tryon_model_input_index(m, "noise");
    if (i < 0)
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "stylegan2: the model has no noise input");
    if (mode < TRYON_STYLEGAN2_NOISE_CONST || mode > TRYON_STYLEGAN2_NOISE_RANDOM)
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "stylegan2: invalid noise mode %d",
                       (int)mode);
    int32_t c[4] = {(int32_t)mode, (int32_t)(uint32_t)seed, (int32_t)(uint32_t)(seed >> 32), 0};
    return tr_model_write(m, m->g->inputs[i], c, sizeof c);
}
