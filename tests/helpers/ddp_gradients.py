"""One training step of MarketBertTrainer's loss under DDP: run with `torchrun --nproc_per_node 2 THIS OUT_DIR`.

Each process takes its half of one toy batch through the DDP-wrapped model, once with the packed CPU loss and once
with the stock-encoder loss, and saves its gradients to `OUT_DIR/grads-{packed,stock}-{rank}.pt`; rank 0 also saves
the mean of the two halves' gradients computed without DDP (`expected.pt`). Synchronised gradients equal that mean
on every process.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import torch
from transformers import TrainingArguments

from marketbert.packed import packed_masked_lm_loss
from marketbert.train import MarketBertTrainer
from tests.helpers.toy_batch import toy_batch_and_model


def main(out: Path) -> None:
    batch, model = toy_batch_and_model()
    for module in model.modules():  # no dropout: the gradients are deterministic
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    model.config.hidden_dropout_prob = model.config.attention_probs_dropout_prob = 0.0
    args = TrainingArguments(str(out / "trainer"), use_cpu=True, report_to="none", ddp_find_unused_parameters=False)
    rank, world = args.process_index, args.world_size
    halves = [{k: v.chunk(world)[r] for k, v in batch.items()} for r in range(world)]
    if rank == 0:  # the reference: each half's gradient without DDP, averaged
        grads = []
        for half in halves:
            model.zero_grad()
            packed_masked_lm_loss(model, half).backward()
            grads.append([p.grad.clone() for p in model.parameters()])
        torch.save([torch.stack(g).mean(0) for g in zip(*grads, strict=True)], out / "expected.pt")
        model.zero_grad()
    for mode in ("packed", "stock"):
        replica = copy.deepcopy(model)
        trainer = MarketBertTrainer(model=replica, args=args, packed_forward=mode == "packed")
        wrapped = trainer.accelerator.prepare_model(replica)
        assert wrapped is not replica, "expected a DDP wrapper"
        trainer.compute_loss(wrapped, halves[rank]).backward()
        assert "forward" not in replica.__dict__  # the model's own forward is back
        torch.save([p.grad.clone() for p in replica.parameters()], out / f"grads-{mode}-{rank}.pt")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main(Path(sys.argv[1]))
    sys.stdout.flush()
    os._exit(0)  # the results are saved: skip teardown, where a live gloo thread can abort the process (SIGABRT)
