/* draw.c — small drawing and file-system helpers shared by the subcommands:
 * keypoints and skeletons over an RGB image (tryon pose --overlay, tryon fit
 * --panel), creating an output folder. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "posenet.h"

void cli_dot(tryon_image *img, double cx, double cy, double r, const uint8_t rgb[3]) {
    int32_t x0 = (int32_t)floor(cx - r), x1 = (int32_t)ceil(cx + r);
    int32_t y0 = (int32_t)floor(cy - r), y1 = (int32_t)ceil(cy + r);
    if (!isfinite(cx) || !isfinite(cy) || !isfinite(r)) return;
    for (int32_t y = y0 < 0 ? 0 : y0; y <= y1 && y < img->height; y++)
        for (int32_t x = x0 < 0 ? 0 : x0; x <= x1 && x < img->width; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                memcpy(img->data + ((int64_t)y * img->width + x) * img->channels, rgb, 3);
}

void cli_line(tryon_image *img, double ax, double ay, double bx, double by, double r,
              const uint8_t rgb[3]) {
    double len = hypot(bx - ax, by - ay);
    int32_t steps = (int32_t)(len / (r > 1 ? r * 0.5 : 0.5)) + 1;
    if (!isfinite(len) || steps > 100000) return;
    for (int32_t i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        cli_dot(img, ax + (bx - ax) * t, ay + (by - ay) * t, r, rgb);
    }
}

void cli_draw_poses(tryon_image *img, const tryon_pose *poses, int32_t n, float min_score) {
    static const uint8_t colors[6][3] = {{0, 255, 255}, {255, 0, 255}, {255, 255, 0},
                                         {0, 255, 0},   {255, 128, 0}, {0, 128, 255}};
    int32_t side = img->width < img->height ? img->width : img->height;
    double r = side / 200.0 < 1.5 ? 1.5 : side / 200.0;
    for (int32_t p = 0; p < n; p++) {
        const tryon_keypoint *k = poses[p].keypoints;
        const uint8_t *c = colors[p % 6];
        for (int32_t b = 0; b < TR_POSENET_N_BONES; b++) {
            const tryon_keypoint *u = &k[tr_posenet_bones[b][0]], *v = &k[tr_posenet_bones[b][1]];
            if (u->score >= min_score && v->score >= min_score)
                cli_line(img, u->x, u->y, v->x, v->y, r * 0.6, c);
        }
        static const uint8_t red[3] = {255, 0, 0};
        for (int32_t i = 0; i < TRYON_POSENET_KEYPOINTS; i++)
            if (k[i].score >= min_score) cli_dot(img, k[i].x, k[i].y, r * 1.2, red);
    }
}

int cli_make_dir(const char *dir) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return 0;
    }
    fprintf(stderr, "tryon: error: cannot create folder %s\n", dir);
    return -1;
}
