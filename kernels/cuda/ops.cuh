/* ops.cuh — declarations shared between the CUDA files (not an API): the op
 * adapters named in runtime/ops.c through TR_CUDA_OP, the scratch each op
 * needs, the storage conversion kernel and the vendor (cuDNN / cuBLAS)
 * baselines. The variant numbers are in variants.h. */
#ifndef TR_CUDA_OPS_CUH
#define TR_CUDA_OPS_CUH

#include "common.cuh"

#include "variants.h"

/* Adapters (runtime/ops.c, C linkage). */
extern "C" {
TR_CUDA_OPS(TR_CUDA_OP_DECL_ONE)
}

/* Scratch bytes a node needs beyond its planned arena workspace. */
int64_t tr_cuda_raster_scratch(const tr_raster_desc *d);
int64_t tr_cuda_inorm_scratch(const tr_instance_norm_desc *d);
int64_t tr_cuda_tps_fit_scratch(const tr_tps_fit_desc *d);
int64_t tr_cuda_bg_mask_scratch(const tr_bg_mask_desc *d);
int64_t tr_cuda_mask_clean_scratch(const tr_mask_clean_desc *d);
int64_t tr_cuda_anchors_scratch(const tr_garment_anchors_desc *d);

/* Converts n elements between F32, F16 and BF16 storage on the stream. */
cudaError_t tr_cuda_convert(cudaStream_t s, const void *src, tryon_dtype sdt, void *dst,
                            tryon_dtype ddt, int64_t n);

/* Vendor baselines (kernels/cuda/vendor.cu). prepare runs at model creation
 * with TRYON_KERNELS_VENDOR: per-node state (cuDNN descriptors and the
 * algorithm its search picked) for the nodes a vendor library can run, and
 * the workspace they need (*ws_bytes). The adapters call the run functions
 * for nodes with state. */
tryon_status tr_cuda_vendor_prepare(tr_cuda_model *m, int64_t *ws_bytes);
void tr_cuda_vendor_release(tr_cuda_model *m);
void tr_cuda_vendor_ctx_free(tr_cuda_state *st);
tryon_status tr_cuda_vendor_conv2d(const tr_exec *ex, const tr_node *n, void *state);
tryon_status tr_cuda_vendor_linear(const tr_exec *ex, const tr_node *n, void *state);
/* Whether this build has the vendor libraries (CUDNN/CUBLAS found by make). */
int tr_cuda_vendor_available(void);

/* The conv epilogue kernel run after a vendor convolution or GEMM that wrote
 * the plain accumulation into y: y = epilogue(y * out_scale + add + bias) +
 * residual (kernels/cuda/conv2d.cu). */
tryon_status tr_cuda_conv_epilogue(const tr_exec *ex, const tr_node *n);

#endif /* TR_CUDA_OPS_CUH */
