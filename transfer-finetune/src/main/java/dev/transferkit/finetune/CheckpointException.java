package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;

/** A fine-tuning checkpoint cannot be written, is damaged, or belongs to a different run. */
public class CheckpointException extends TransferKitException {
    /**
     * @param message a full sentence naming the checkpoint file and the problem
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the checkpoint file and the problem
     * @param cause   the underlying failure
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
