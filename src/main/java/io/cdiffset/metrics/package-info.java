/**
 * Image-translation metrics with the torchmetrics 1.9 definitions C-DiffSET uses (PSNR / SSIM with
 * {@code data_range=1}, SCC with its defaults), FID statistics and Fréchet distance (pytorch-fid math), the two
 * de-normalisation conventions ({@link io.cdiffset.metrics.Denorm}) and the evaluation report writer.
 *
 * <p>Images are {@code float[]} in CHW order with values in [0, 1]; shapes are passed as {@code (c, h, w)}. All
 * accumulation is done in double precision. Pure Java, no libtorch.
 */
package io.cdiffset.metrics;
