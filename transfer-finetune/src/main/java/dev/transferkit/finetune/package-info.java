/**
 * Fine-tuning: {@link dev.transferkit.finetune.FineTuner} freezes the base, trains a new head, unfreezes the top
 * blocks with lowered learning rates, and checkpoints every epoch; the frozen prefix runs in the inference engine and
 * only the trainable tail is trained.
 */
package dev.transferkit.finetune;
