/* cmd_fit.c — `tryon fit`: a person photo (or a generated person, or a
 * folder of frames) and a garment photo in, the person wearing the garment
 * out. The garment is prepared once (tryon_garment_prepare) and the fitting
 * graph is built and planned once (tryon_fit_load); each frame is then one
 * run. This file parses options, reads and writes files and draws the panel. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_POSE_WEIGHTS "weights/posenet.safetensors"

static void help(FILE *out) {
    fprintf(out,
            "usage: tryon fit -p PERSON.png -g GARMENT.png -o OUT.png [options]\n"
            "       tryon fit --frames DIR -g GARMENT.png -o OUTDIR [options]\n"
            "       tryon fit --model-weights W --model-seed S -g GARMENT.png -o OUT.png\n\n"
            "Dresses a person in a garment. The garment photo (a front view on a plain\n"
            "background, or an RGBA image whose alpha is the garment) is prepared once:\n"
            "mask, anchor points (neck, shoulders, armpits, waist, hem, sleeves) and a\n"
            "mesh. Then one planned graph runs PoseNet on the person, fits a thin-plate\n"
            "spline from the garment's anchors to the body (shoulders, torso, sleeves\n"
            "along the arms), rasterizes the deformed garment with the arms in front of\n"
            "it, transfers the person's shading and composites. Upper-body garments\n"
            "only; the person's own clothes show wherever the garment does not cover\n"
            "them.\n\n"
            "  -p, --person FILE       person photo (PNG)\n"
            "  -g, --garment FILE      garment photo (PNG, RGB or RGBA)\n"
            "  -o, --output FILE       result PNG (with --frames: an output folder)\n"
            "      --frames DIR        every *.png in DIR (sorted by name, all the same\n"
            "                          size) through the same planned graph; prints\n"
            "                          progress and frames per second\n"
            "      --pose-weights FILE PoseNet weights (default " DEFAULT_POSE_WEIGHTS ",\n"
            "                          made by `make weights`)\n"
            "      --style FILE        restyle the garment's texture first with a CycleGAN or\n"
            "                          TransformerNet (tools/convert.py cyclegan)\n"
            "      --model-weights FILE  generate the person with a StyleGAN2 generator\n"
            "                          (tools/convert.py stylegan2) instead of -p\n"
            "      --model-seed S      its latent: numpy RandomState(S).randn (default 0)\n"
            "      --model-trunc PSI   its truncation psi (default 1)\n"
            "      --scale S           garment scale on the body (default 1)\n"
            "      --rotate DEG        garment rotation, degrees clockwise (default 0)\n"
            "      --offset DX,DY      garment shift in pixels (default 0,0)\n"
            "      --shading X         shading transfer strength 0..2 (default 0.7)\n"
            "      --texture WxH       garment texture size (default 384x512)\n"
            "      --json FILE         the pose, whether a body was found, and the garment's\n"
            "                          anchors as JSON\n"
            "      --panel FILE        a PNG: input | pose | warped garment | result\n\n"
            "Exit status 5 when the garment photo holds no recognisable upper-body\n"
            "garment. A person in whom PoseNet finds no shoulders is left undressed\n"
            "(a warning, exit 0).\n\n"
            "With --device cuda the garment is prepared and each frame fitted on the\n"
            "GPU, one graph launch per frame. --precision f16|bf16 applies to PoseNet,\n"
            "the style net and the generator; the garment and the fitting stages stay\n"
            "in f32 (16 bits would move the mesh by whole pixels).\n\n" CLI_COMMON_HELP);
}

enum {
    OPT_FRAMES = CLI_OPT_FIRST_CMD,
    OPT_POSE_WEIGHTS,
    OPT_STYLE,
    OPT_MODEL_WEIGHTS,
    OPT_MODEL_SEED,
    OPT_MODEL_TRUNC,
    OPT_SCALE,
    OPT_ROTATE,
    OPT_OFFSET,
    OPT_SHADING,
    OPT_TEXTURE,
    OPT_JSON,
    OPT_PANEL
};

typedef struct fit_opts {
    const char *person, *garment, *output, *frames, *pose_weights, *style, *model_weights;
    const char *json, *panel;
    long seed;
    float trunc, scale, rotate, dx, dy, shading;
    int32_t tex_w, tex_h;
} fit_opts;

static int parse_float(const char *name, const char *arg, double lo, double hi, float *out) {
    double d;
    if (!cli_parse_float(arg, &d) || !(d >= lo && d <= hi))
        return cli_usage("fit", "%s must be a number in %g..%g, not '%s'", name, lo, hi, arg);
    *out = (float)d;
    return 0;
}

static int parse(int argc, char **argv, fit_opts *o, cli_common *common) {
    static const struct option opts[] = {
        {"person", required_argument, NULL, 'p'},
        {"garment", required_argument, NULL, 'g'},
        {"output", required_argument, NULL, 'o'},
        {"frames", required_argument, NULL, OPT_FRAMES},
        {"pose-weights", required_argument, NULL, OPT_POSE_WEIGHTS},
        {"style", required_argument, NULL, OPT_STYLE},
        {"model-weights", required_argument, NULL, OPT_MODEL_WEIGHTS},
        {"model-seed", required_argument, NULL, OPT_MODEL_SEED},
        {"model-trunc", required_argument, NULL, OPT_MODEL_TRUNC},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"rotate", required_argument, NULL, OPT_ROTATE},
        {"offset", required_argument, NULL, OPT_OFFSET},
        {"shading", required_argument, NULL, OPT_SHADING},
        {"texture", required_argument, NULL, OPT_TEXTURE},
        {"json", required_argument, NULL, OPT_JSON},
        {"panel", required_argument, NULL, OPT_PANEL},
        CLI_COMMON_OPTIONS};
    int opt, r;
    optind = 0; /* a full getopt reset (cli.h, cli_main) */
    while ((opt = getopt_long(argc, argv, "p:g:o:h", opts, NULL)) != -1) {
        r = cli_common_option(common, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r) continue;
        switch (opt) {
        case 'p': o->person = optarg; break;
        case 'g': o->garment = optarg; break;
        case 'o': o->output = optarg; break;
        case OPT_FRAMES: o->frames = optarg; break;
        case OPT_POSE_WEIGHTS: o->pose_weights = optarg; break;
        case OPT_STYLE: o->style = optarg; break;
        case OPT_MODEL_WEIGHTS: o->model_weights = optarg; break;
        case OPT_MODEL_SEED:
            if (!cli_parse_int(optarg, 0, 4294967295L, &o->seed))
                return cli_usage("fit", "--model-seed must be an integer in 0..2^32-1, not '%s'",
                                 optarg);
            break;
        case OPT_MODEL_TRUNC:
            if ((r = parse_float("--model-trunc", optarg, -10, 10, &o->trunc))) return r;
            break;
        case OPT_SCALE:
            if ((r = parse_float("--scale", optarg, 0.05, 20, &o->scale))) return r;
            break;
        case OPT_ROTATE:
            if ((r = parse_float("--rotate", optarg, -360, 360, &o->rotate))) return r;
            break;
        case OPT_OFFSET: {
            char *end;
            double x = strtod(optarg, &end), y = 0;
            int ok = end != optarg && *end == ',';
            if (ok) {
                char *e2;
                y = strtod(end + 1, &e2);
                ok = e2 != end + 1 && !*e2 && fabs(x) <= 1e5 && fabs(y) <= 1e5;
            }
            if (!ok) return cli_usage("fit", "--offset must be DX,DY in pixels, not '%s'", optarg);
            o->dx = (float)x, o->dy = (float)y;
            break;
        }
        case OPT_SHADING:
            if ((r = parse_float("--shading", optarg, 0, 2, &o->shading))) return r;
            break;
        case OPT_TEXTURE: {
            long w, h;
            char a[32], b[32];
            const char *x = strchr(optarg, 'x');
            if (!x || x - optarg >= 31 || strlen(x + 1) >= 31)
                return cli_usage("fit", "--texture must be WxH, not '%s'", optarg);
            memcpy(a, optarg, (size_t)(x - optarg));
            a[x - optarg] = 0;
            strcpy(b, x + 1);
            if (!cli_parse_int(a, 16, 8192, &w) || !cli_parse_int(b, 16, 8192, &h))
                return cli_usage("fit", "--texture sides must be integers in 16..8192, not '%s'",
                                 optarg);
            o->tex_w = (int32_t)w, o->tex_h = (int32_t)h;
            break;
        }
        case OPT_JSON: o->json = optarg; break;
        case OPT_PANEL: o->panel = optarg; break;
        case 'h': help(stdout); return -1;
        default: return cli_usage("fit", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("fit", "unexpected argument '%s'", argv[optind]);
    if (!o->garment) return cli_usage("fit", "no garment given (-g FILE)");
    if (!o->output) return cli_usage("fit", "no output given (-o FILE)");
    int sources = !!o->person + !!o->frames + !!o->model_weights;
    if (sources != 1)
        return cli_usage("fit", "give exactly one of -p PERSON, --frames DIR, --model-weights W");
    if (!o->frames && cli_output_kind(o->output) != CLI_FILE_PNG)
        return cli_usage("fit", "-o must name a .png file");
    if (o->panel && cli_output_kind(o->panel) != CLI_FILE_PNG)
        return cli_usage("fit", "--panel must name a .png file");
    if (o->frames && (o->panel || o->json))
        return cli_usage("fit", "--panel and --json are for a single image, not --frames");
    return 0;
}

/* ---- outputs ----------------------------------------------------------------- */

static int write_json(FILE *f, int dressed, const tryon_pose *pose, const tryon_garment_info *gi) {
    fprintf(f, "{\n  \"dressed\": %s,\n", dressed ? "true" : "false");
    fprintf(f, "  \"pose\": {\"score\": %.9g, \"keypoints\": [", pose->score);
    for (int32_t k = 0; k < TRYON_POSENET_KEYPOINTS; k++)
        fprintf(f, "%s\n    {\"name\": \"%s\", \"x\": %.9g, \"y\": %.9g, \"score\": %.9g}",
                k ? "," : "", tryon_posenet_keypoint_name(k), pose->keypoints[k].x,
                pose->keypoints[k].y, pose->keypoints[k].score);
    fprintf(f,
            "\n  ]},\n  \"garment\": {\"texture\": {\"width\": %d, \"height\": %d}, "
            "\"sleeves\": %s, \"straps\": %s, \"anchors\": [",
            gi->texture_width, gi->texture_height, gi->has_sleeves ? "true" : "false",
            gi->has_straps ? "true" : "false");
    int first = 1;
    for (int32_t k = 0; k < TRYON_GARMENT_ANCHORS; k++) {
        if (!(gi->anchors[k][2] > 0)) continue;
        fprintf(f, "%s\n    {\"name\": \"%s\", \"x\": %.9g, \"y\": %.9g}", first ? "" : ",",
                tryon_garment_anchor_name(k), gi->anchors[k][0], gi->anchors[k][1]);
        first = 0;
    }
    fprintf(f, "\n  ]}\n}\n");
    return ferror(f) ? -1 : 0;
}

/* input | pose | warped garment over grey | result, side by side. */
static tryon_status write_panel(tryon_ctx *ctx, const char *path, const uint8_t *person,
                                const uint8_t *result, const float *layer, const tryon_pose *pose,
                                int32_t w, int32_t h) {
    tryon_image p;
    tryon_status st = tryon_image_alloc(ctx, 4 * w, h, 3, &p);
    if (st != TRYON_OK) return st;
    tryon_image pose_img = {w, h, 3, NULL};
    pose_img.data = malloc((size_t)w * h * 3);
    if (!pose_img.data) {
        tryon_image_free(&p);
        return TRYON_ERR_NOMEM;
    }
    memcpy(pose_img.data, person, (size_t)w * h * 3);
    cli_draw_poses(&pose_img, pose, 1, 0.2f);
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            int64_t i = y * w + x;
            uint8_t *row = p.data + (y * 4 * w) * 3;
            memcpy(row + x * 3, person + i * 3, 3);
            memcpy(row + (w + x) * 3, pose_img.data + i * 3, 3);
            const float *l = layer + i * 4;
            for (int c = 0; c < 3; c++) {
                double v = 128.0 * (1.0 - l[3]) + 255.0 * l[c];
                row[(2 * w + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
            }
            memcpy(row + (3 * w + x) * 3, result + i * 3, 3);
        }
    st = tryon_image_write_png(ctx, path, &p);
    free(pose_img.data);
    tryon_image_free(&p);
    return st;
}

/* ---- frames ------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.png files in dir; NULL (and a message) on error. */
static char **list_pngs(const char *dir, int32_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "tryon: error: cannot open folder %s\n", dir);
        return NULL;
    }
    char **names = NULL;
    int32_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".png")) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, (size_t)cap * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        if (!(names[*n] = strdup(e->d_name))) break;
        (*n)++;
    }
    closedir(d);
    if (names) qsort(names, (size_t)*n, sizeof *names, cmp_str);
    if (!*n) {
        fprintf(stderr, "tryon: error: no .png files in %s\n", dir);
        free(names);
        return NULL;
    }
    return names;
}

/* ---- main ---------------------------------------------------------------------- */

typedef struct fit_state {
    tryon_ctx *ctx;
    tryon_weights *pose_w, *style_w, *model_w;
    tryon_garment *garment;
    tryon_model *m;
} fit_state;

static tryon_status read_garment(tryon_ctx *ctx, const char *path, tryon_image *img) {
    tryon_status st = tryon_image_read_png(ctx, path, 0, img);
    if (st != TRYON_OK || img->channels >= 3) return st;
    int want = img->channels == 1 ? 3 : 4; /* gray -> RGB, gray+alpha -> RGBA */
    tryon_image_free(img);
    return tryon_image_read_png(ctx, path, want, img);
}

static tryon_status set_latent(tryon_ctx *ctx, tryon_model *m, const tryon_weights *w,
                               uint32_t seed, float psi) {
    tryon_stylegan2_info info;
    tryon_status st = tryon_stylegan2_get_info(ctx, w, &info);
    if (st != TRYON_OK) return st;
    if (info.z_dim > 0) {
        double *z = malloc((size_t)info.z_dim * sizeof *z);
        float *zf = malloc((size_t)info.z_dim * sizeof *zf);
        if (!z || !zf) {
            free(z), free(zf);
            return TRYON_ERR_NOMEM;
        }
        tryon_stylegan2_seed_z(seed, info.z_dim, z);
        for (int32_t i = 0; i < info.z_dim; i++) zf[i] = (float)z[i];
        for (int32_t i = 0; i < tryon_model_n_inputs(m); i++) {
            tryon_tensor t;
            tryon_model_input(m, i, &t);
            if (!strcmp(t.name, "z"))
                st = tryon_model_set_input(m, i, zf, (size_t)info.z_dim * sizeof *zf);
            if (!strcmp(t.name, "c") && st == TRYON_OK) { /* class 0 */
                float *c = calloc((size_t)t.shape[1], sizeof *c);
                if (!c)
                    st = TRYON_ERR_NOMEM;
                else
                    c[0] = 1.0f, st = tryon_model_set_input(m, i, c, (size_t)t.shape[1] * 4);
                free(c);
            }
        }
        free(z), free(zf);
    }
    if (st == TRYON_OK && psi != 1.0f) st = tryon_stylegan2_set_truncation(m, psi, -1);
    return st;
}

static int run(int argc, char **argv) {
    fit_opts o;
    memset(&o, 0, sizeof o);
    o.scale = 1.0f, o.trunc = 1.0f;
    tryon_fit_params fp = tryon_fit_params_default();
    o.shading = fp.shading, o.tex_w = fp.texture_width, o.tex_h = fp.texture_height;
    cli_common common;
    cli_common_init(&common);
    int r = parse(argc, argv, &o, &common);
    if (r) return r < 0 ? CLI_EXIT_OK : r;
    if (!o.pose_weights) o.pose_weights = DEFAULT_POSE_WEIGHTS;
    int code;
    fit_state s;
    memset(&s, 0, sizeof s);
    if (!(s.ctx = cli_ctx(&common, &code))) return code;
    tryon_ctx *ctx = s.ctx;
    cli_timer tm;
    cli_timer_start(&tm, common.time);
    tryon_image gimg = {0, 0, 0, NULL}, person = {0, 0, 0, NULL}, result = {0, 0, 0, NULL};
    float *layer = NULL;
    char **frames = NULL;
    int32_t n_frames = 0;
    tryon_status st;

    /* The garment, once. */
    if ((st = read_garment(ctx, o.garment, &gimg)) != TRYON_OK) goto fail;
    if (o.style && (st = tryon_weights_open(ctx, o.style, &s.style_w)) != TRYON_OK) goto fail;
    tryon_garment_params gp = tryon_garment_params_default();
    gp.texture_width = o.tex_w, gp.texture_height = o.tex_h;
    if ((st = tryon_garment_prepare(ctx, &gimg, &gp, s.style_w, &s.garment)) != TRYON_OK) goto fail;
    cli_timer_mark(&tm, "prepare garment");

    /* The person: a photo, the first frame, or a generator. */
    if (o.frames) {
        if (!(frames = list_pngs(o.frames, &n_frames))) {
            code = CLI_EXIT_IO;
            goto out;
        }
        if (cli_make_dir(o.output)) {
            code = CLI_EXIT_IO;
            goto out;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", o.frames, frames[0]);
        if ((st = tryon_image_read_png(ctx, path, 3, &person)) != TRYON_OK) goto fail;
    } else if (o.person) {
        if ((st = tryon_image_read_png(ctx, o.person, 3, &person)) != TRYON_OK) goto fail;
    } else {
        if ((st = tryon_weights_open(ctx, o.model_weights, &s.model_w)) != TRYON_OK) goto fail;
        fp.person_generator = s.model_w;
    }
    if ((st = tryon_weights_open(ctx, o.pose_weights, &s.pose_w)) != TRYON_OK) {
        code = cli_fail(ctx, st);
        if (st == TRYON_ERR_IO)
            fprintf(stderr, "tryon: hint: `make weights` fetches and converts the PoseNet "
                            "weights into " DEFAULT_POSE_WEIGHTS "; or pass --pose-weights FILE\n");
        goto out;
    }
    fp.width = person.width, fp.height = person.height;
    fp.texture_width = o.tex_w, fp.texture_height = o.tex_h;
    fp.shading = o.shading;
    if ((st = tryon_fit_load(ctx, s.pose_w, &fp, &s.m)) != TRYON_OK) goto fail;
    if ((st = tryon_fit_set_garment(s.m, s.garment)) != TRYON_OK) goto fail;
    if ((st = tryon_fit_set_placement(s.m, o.scale, o.rotate, o.dx, o.dy)) != TRYON_OK) goto fail;
    if (s.model_w && (st = set_latent(ctx, s.m, s.model_w, (uint32_t)o.seed, o.trunc)) != TRYON_OK)
        goto fail;
    tryon_tensor out_t;
    tryon_model_output(s.m, 0, &out_t);
    const int32_t H = (int32_t)out_t.shape[1], W = (int32_t)out_t.shape[2];
    if ((st = tryon_image_alloc(ctx, W, H, 3, &result)) != TRYON_OK) goto fail;
    cli_timer_mark(&tm, "build model");
    const int32_t in_person = tryon_model_input_index(s.m, "person");
    const size_t frame_bytes = (size_t)W * H * 3;

    if (o.frames) {
        double run_ms = 0, t_start = cli_now_ms();
        int32_t undressed = 0;
        for (int32_t i = 0; i < n_frames; i++) {
            char path[4096];
            if (i > 0) {
                tryon_image_free(&person);
                snprintf(path, sizeof path, "%s/%s", o.frames, frames[i]);
                if ((st = tryon_image_read_png(ctx, path, 3, &person)) != TRYON_OK) goto fail;
                if (person.width != W || person.height != H) {
                    fprintf(stderr, "tryon: error: %s is %dx%d, the frames before it %dx%d\n", path,
                            person.width, person.height, W, H);
                    code = CLI_EXIT_UNSUPPORTED;
                    goto out;
                }
            }
            double t0 = cli_now_ms();
            if ((st = tryon_model_set_input(s.m, in_person, person.data, frame_bytes)) !=
                    TRYON_OK ||
                (st = tryon_model_run(s.m)) != TRYON_OK ||
                (st = tryon_model_get_output(s.m, 0, result.data, frame_bytes)) != TRYON_OK)
                goto fail;
            double ms = cli_now_ms() - t0;
            run_ms += ms;
            int32_t dressed;
            if ((st = tryon_fit_result(s.m, &dressed, NULL)) != TRYON_OK) goto fail;
            undressed += !dressed;
            snprintf(path, sizeof path, "%s/%s", o.output, frames[i]);
            if ((st = tryon_image_write_png(ctx, path, &result)) != TRYON_OK) goto fail;
            fprintf(stderr, "frame %d/%d %s: %.1f ms%s\n", i + 1, n_frames, frames[i], ms,
                    dressed ? "" : " (no body found)");
        }
        double wall = cli_now_ms() - t_start;
        fprintf(stderr,
                "%d frames: %.2f frames/s in the graph (%.1f ms each), %.2f frames/s "
                "with PNG reading and writing; %d without a body\n",
                n_frames, 1000.0 * n_frames / run_ms, run_ms / n_frames, 1000.0 * n_frames / wall,
                undressed);
        printf("%s\n", o.output);
        cli_timer_total(&tm);
        code = CLI_EXIT_OK;
        goto out;
    }

    if (in_person >= 0 &&
        (st = tryon_model_set_input(s.m, in_person, person.data, frame_bytes)) != TRYON_OK)
        goto fail;
    if ((st = tryon_model_run(s.m)) != TRYON_OK) goto fail;
    cli_timer_mark(&tm, "run");
    if ((st = tryon_model_get_output(s.m, 0, result.data, frame_bytes)) != TRYON_OK) goto fail;
    int32_t dressed;
    tryon_pose pose;
    if ((st = tryon_fit_result(s.m, &dressed, &pose)) != TRYON_OK) goto fail;
    if (!dressed)
        fprintf(stderr, "tryon: warning: no shoulders found in the person image; it is left "
                        "as it was\n");
    if ((st = tryon_image_write_png(ctx, o.output, &result)) != TRYON_OK) goto fail;
    if (!person.data) { /* generated: the panel and --json show that person */
        if ((st = tryon_image_alloc(ctx, W, H, 3, &person)) != TRYON_OK) goto fail;
        float *pf = malloc(frame_bytes * sizeof(float));
        if (!pf) {
            st = TRYON_ERR_NOMEM;
            goto fail;
        }
        st = tryon_model_get_output(s.m, 4, pf, frame_bytes * sizeof(float));
        for (size_t i = 0; st == TRYON_OK && i < frame_bytes; i++)
            person.data[i] = (uint8_t)pf[i]; /* generate.py truncates */
        free(pf);
        if (st != TRYON_OK) goto fail;
    }
    if (o.panel) {
        size_t lb = (size_t)W * H * 4 * sizeof(float);
        if (!(layer = malloc(lb))) {
            st = TRYON_ERR_NOMEM;
            goto fail;
        }
        if ((st = tryon_model_get_output(s.m, 2, layer, lb)) != TRYON_OK ||
            (st = write_panel(ctx, o.panel, person.data, result.data, layer, &pose, W, H)) !=
                TRYON_OK)
            goto fail;
    }
    if (o.json) {
        tryon_garment_info gi;
        tryon_garment_get_info(s.garment, &gi);
        FILE *f = strcmp(o.json, "-") ? fopen(o.json, "w") : stdout;
        int bad = !f || write_json(f, dressed, &pose, &gi);
        if (f && f != stdout) bad |= fclose(f) != 0;
        if (bad) {
            fprintf(stderr, "tryon: error: cannot write %s\n", o.json);
            code = CLI_EXIT_IO;
            goto out;
        }
    }
    cli_timer_mark(&tm, "write outputs");
    cli_timer_total(&tm);
    printf("%s\n", o.output);
    code = CLI_EXIT_OK;
    goto out;
fail:
    code = cli_fail(ctx, st);
out:
    for (int32_t i = 0; i < n_frames; i++) free(frames[i]);
    free(frames);
    free(layer);
    tryon_image_free(&gimg);
    tryon_image_free(&person);
    tryon_image_free(&result);
    tryon_model_free(s.m);
    tryon_garment_free(s.garment);
    tryon_weights_close(s.pose_w);
    tryon_weights_close(s.style_w);
    tryon_weights_close(s.model_w);
    tryon_ctx_free(ctx);
    return code;
}

const cli_cmd cli_cmd_fit = {"fit", "dress a person in a garment (photo, frames or generated)", run,
                             help};
