/* posenet.h — PoseNet pieces shared by the net builder (nets/posenet.c), the
 * CLI (tools/cmd_pose.c) and the tests; the public API is in include/tryon.h.
 *
 * Keypoints are COCO's 17 in tfjs-models' order (tryon_posenet_keypoint_name).
 * The decoder's pose chain lives with the kernel (kernels/cpu/posenet_decode.c);
 * this is the drawing skeleton, tfjs-models' connectedPartNames. */
#ifndef TR_POSENET_H
#define TR_POSENET_H

#include "graph.h"

#define TR_POSENET_N_BONES 12

/* Pairs of keypoint ids joined when drawing a pose (keypoints.ts
 * connectedPartNames): limbs, shoulders and hips. */
static const int8_t tr_posenet_bones[TR_POSENET_N_BONES][2] = {
    {11, 5}, {7, 5},  {7, 9},   {11, 13}, {13, 15}, {12, 6},
    {8, 6},  {8, 10}, {12, 14}, {14, 16}, {5, 6},   {11, 12},
};

/* Appends PoseNet (preprocessing, backbone, heads, decoder) to g for image, a
 * (1, H, W, 3) U8 or F32 tensor in 0..255; p's input kind and image size are
 * ignored (the image's are used), p->exact chooses the accumulation as in
 * tryon_posenet_load. Returns the poses tensor (1, P, 18, 3) in image pixels
 * (tryon_posenet_load's output 5), or -1 with the error on g. */
int32_t tr_posenet_append(tr_graph *g, const tryon_weights *w, const tryon_posenet_params *p,
                          int32_t image);

#endif /* TR_POSENET_H */
