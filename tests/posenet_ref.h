/* posenet_ref.h — helpers shared by the PoseNet test suites: reading the
 * TF.js fixture JSON (tests/ref/tfjs_posenet.js) and comparing poses. Static
 * functions, so each suite binary stays one translation unit plus util.o. */
#ifndef TRYON_TEST_POSENET_REF_H
#define TRYON_TEST_POSENET_REF_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

enum { K = 17, E = 16 };

/* Keypoint k of pose slot i in a (P, 18, 3) poses tensor; c: 0 x, 1 y, 2 score. */
#define KP(p, i, k, c) ((p)[((i) * (K + 1) + (k)) * 3 + (c)])

static char *pr_read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = 0;
    fclose(f);
    return s;
}

static double pr_num(const tr_json_doc *d, const tr_json *o, const char *key) {
    for (const tr_json *m = tr_json_at(d, o->first); m; m = tr_json_at(d, m->next))
        if (!strcmp(m->key, key)) return m->num;
    ck_abort_msg("JSON key %s missing", key);
    return 0;
}

static const tr_json *pr_child(const tr_json_doc *d, const tr_json *o, const char *key) {
    for (const tr_json *m = tr_json_at(d, o->first); m; m = tr_json_at(d, m->next))
        if (!strcmp(m->key, key)) return m;
    return NULL;
}

/* Compares poses (P, 18, 3) with tfjs-models' JSON (positions in doubles):
 * same count and order, positions within tol_px (the caller's error model),
 * part scores exactly (both are the float32 head values at the same cells),
 * pose scores within 1e-6 (a double mean rounded to float32: half an ulp is
 * 3e-8). Returns the max position error. */
static double pr_compare_poses(tryon_ctx *ctx, const float *p, int32_t slots, const char *json_path,
                               double tol_px) {
    size_t len;
    char *text = pr_read_text(json_path, &len);
    ck_assert_msg(text, "cannot read %s", json_path);
    tr_json_doc *d;
    ck_assert_int_eq(tr_json_parse(ctx, text, len, &d), TRYON_OK);
    const tr_json *root = &d->nodes[0];
    int32_t n = 0;
    while (n < slots && KP(p, n, K, 1) == 1.0f) n++;
    ck_assert_msg(n == root->n_children, "%s: %d poses, tfjs-models has %d", json_path, n,
                  root->n_children);
    double worst = 0;
    int32_t i = 0;
    for (const tr_json *pose = tr_json_at(d, root->first); pose;
         pose = tr_json_at(d, pose->next), i++) {
        double s = pr_num(d, pose, "score");
        ck_assert_msg(fabs(KP(p, i, K, 0) - s) <= 1e-6, "%s pose %d score %.9g want %.9g",
                      json_path, i, KP(p, i, K, 0), s);
        const tr_json *kps = pr_child(d, pose, "keypoints");
        int32_t k = 0;
        for (const tr_json *kp = tr_json_at(d, kps->first); kp; kp = tr_json_at(d, kp->next), k++) {
            double ex = fabs(KP(p, i, k, 0) - pr_num(d, kp, "x")),
                   ey = fabs(KP(p, i, k, 1) - pr_num(d, kp, "y"));
            worst = fmax(worst, fmax(ex, ey));
            ck_assert_msg(ex <= tol_px && ey <= tol_px,
                          "%s pose %d part %d at (%.6f, %.6f), want (%.6f, %.6f)", json_path, i, k,
                          KP(p, i, k, 0), KP(p, i, k, 1), pr_num(d, kp, "x"), pr_num(d, kp, "y"));
            ck_assert_msg(KP(p, i, k, 2) == (float)pr_num(d, kp, "score"),
                          "%s pose %d part %d score", json_path, i, k);
        }
        ck_assert_int_eq(k, K);
    }
    tr_json_free(d);
    free(text);
    return worst;
}

#endif /* TRYON_TEST_POSENET_REF_H */
