/* stylegan2_mapping.c — the mapping network z, c -> ws (MappingNetwork of
 * stylegan2-ada-pytorch training/networks.py):
 *
 *   x = normalize_2nd_moment(z)                    x * rsqrt(mean(x^2) + 1e-8)
 *   y = normalize_2nd_moment(embed(c))             if c_dim > 0; x = [x, y]
 *   x = act(x @ (W_i * lrmul/sqrt(in))^T + b_i * lrmul) * gain   for fc0..fc{L-1}
 *   ws[n, k, :] = lerp(w_avg, x[n], psi[k])        (truncation; psi = 1 is exact)
 *
 * The embedding is a linear FC with lr multiplier 1 (gain 1/sqrt(c_dim)).
 * Every weight gain is folded into a graph constant at build time with the
 * float multiply PyTorch performs, so the effective weights are bitwise the
 * reference's. psi is a run-time input (num_ws, 1): tryon_stylegan2_set_truncation
 * writes psi for the first `cutoff` entries and 1 elsewhere, which is the
 * reference's `x[:, :cutoff] = w_avg.lerp(x[:, :cutoff], psi)`.
 * Tests: tests/test_stylegan2.c. */
#include <math.h>
#include <string.h>

#include "stylegan2.h"

/* Gain of bias_act's default for an activation (lrelu/relu sqrt(2), linear 1). */
static double def_gain(tr_act a) { return a == TR_ACT_NONE ? 1.0 : sqrt(2.0); }

/* FullyConnectedLayer: y = act(x @ (W * lrmul/sqrt(in))^T + b * lrmul) * gain. */
static int32_t fc(tr_graph *g, const tryon_weights *w, const char *prefix, int32_t x, int32_t in,
                  int32_t out, double lrmul, tr_act act) {
    char name[96];
    int64_t ws[2] = {out, in}, bs[1] = {out};
    snprintf(name, sizeof name, "%s.weight", prefix);
    int32_t wt = tr_sg2_scaled_weight(g, w, name, 2, ws, lrmul / sqrt((double)in));
    snprintf(name, sizeof name, "%s.bias", prefix);
    /* The reference skips `b * bias_gain` when the gain is 1. */
    int32_t b = lrmul != 1.0 ? tr_sg2_scaled_weight(g, w, name, 1, bs, lrmul)
                             : tr_graph_weight(g, w, name, 1, bs);
    tr_epilogue ep = tr_epilogue_make(act);
    ep.gain = (float)def_gain(act);
    tr_graph_name(g, "%s", prefix);
    return tr_linear(g, x, wt, b, ep);
}

int32_t tr_sg2_build_mapping(tr_graph *g, const tryon_weights *w, const tr_sg2_config *cfg,
                             int32_t batch) {
    const float eps = 1e-8f;
    int32_t x = -1;
    if (cfg->z_dim > 0) {
        int64_t zs[2] = {batch, cfg->z_dim};
        int32_t z = tr_graph_input(g, "z", TRYON_DTYPE_F32, 2, zs);
        tr_graph_name(g, "mapping.normalize_z");
        x = tr_normalize_2nd_moment(g, z, eps);
    }
    if (cfg->c_dim > 0) {
        int64_t cs[2] = {batch, cfg->c_dim};
        int32_t c = tr_graph_input(g, "c", TRYON_DTYPE_F32, 2, cs);
        int32_t e = fc(g, w, "mapping.embed", c, cfg->c_dim, cfg->embed_features, 1.0, TR_ACT_NONE);
        tr_graph_name(g, "mapping.normalize_c");
        int32_t y = tr_normalize_2nd_moment(g, e, eps);
        if (x < 0) {
            x = y;
        } else {
            int32_t xy[2] = {x, y};
            tr_graph_name(g, "mapping.concat");
            x = tr_concat(g, 2, xy, 1);
        }
    }
    for (int32_t i = 0; i < cfg->mapping_layers; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "mapping.fc%d", i);
        x = fc(g, w, prefix, x, cfg->mapping_width[i], cfg->mapping_width[i + 1],
               cfg->mapping_lrmul, cfg->mapping_act);
    }

    /* Broadcast to num_ws and truncate: lerp(w_avg (D), x (N,1,D), psi (K,1)). */
    int64_t x3[3] = {batch, 1, cfg->w_dim}, ps[2] = {cfg->num_ws, 1}, as[1] = {cfg->w_dim};
    int32_t xb = tr_reshape(g, x, 3, x3);
    int32_t psi = tr_graph_input(g, "psi", TRYON_DTYPE_F32, 2, ps);
    int32_t avg;
    if (cfg->has_w_avg) {
        avg = tr_graph_weight(g, w, "mapping.w_avg", 1, as);
    } else {
        void *zeros; /* no w_avg: truncation is refused, psi stays 1 */
        avg = tr_graph_const_alloc(g, "mapping.w_avg(absent)", TRYON_DTYPE_F32, 1, as, &zeros);
    }
    tr_graph_name(g, "mapping.truncate");
    return tr_lerp(g, avg, xb, psi);
}
