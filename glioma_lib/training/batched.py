"""The trials of one run trained together as one stacked model (``batch_trials``), each still its own.

At batch 4 a GPU is mostly idle; stacking the K trials' parameters along a trial axis
(``torch.func.stack_module_state``) and vmapping the forward pass over it gives the device K
times the work per launch. Each trial keeps what makes it a trial:

- its initialisation (the model it would have had alone, from its own seed);
- its data order and augmentation (its own seeded stream of batches, ``update_batches``);
- its dropout masks: drawn, per step, from a generator that continues the trial's own random
  stream exactly where the sequential trial's dropout would draw (on CPU the masks are the same);
- its optimiser state: Adam is elementwise, so one Adam over the stacked parameters is K Adams.

The trials' losses are summed, so each trial's slice of the gradient is its own loss's gradient.
Evaluation, checkpoints, histories and predictions go per trial through the sequential trial's
own code (``trial.record_evaluation``), into the same files, so everything downstream, and a resume
in either mode, reads them alike. On CPU, batched and sequential trials agree to fp32 rounding
(``tests/training/test_batched.py``); the speed-up is a GPU's (``glioma bench train --batched K``).
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Iterator

import pandas as pd
import torch
from torch.func import functional_call, stack_module_state, vmap
from tqdm import tqdm

from glioma_lib.core.cost_model import trials_per_group
from glioma_lib.inputs.dataset import update_batches
from glioma_lib.models.heads import SubtypeModel, TrialDropout
from glioma_lib.models.losses import LossParts
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.data import LossWeights
from glioma_lib.training.loop import autocast, batch_on_device, model_device, optimiser_step, seed_stretch
from glioma_lib.training.trial import (
    LossMeans,
    RunContext,
    TrialState,
    adam,
    batch_loss,
    initial_model,
    parameter_groups,
    record_evaluation,
    resume_trial,
)


class StackedTrials:
    """K models of one architecture as stacked parameters and buffers, with one Adam over them.

    Args:
        models: the trials' models (same architecture, same device), in trial order.
        config: the run's settings (learning rates).
        vectorised: one vmapped forward and backward over the trial axis (the default on a GPU);
            else one trial after another on its slice of the stacked state, each trial's graph freed
            by its own backward (the default on a CPU, where the grouped convolutions a vmap
            becomes are slower than separate ones; see the README's Performance section).

    Example:
        >>> config = TrainConfig.of_book("idh-t1ce-cnn")
        >>> stacked = StackedTrials([SubtypeModel("cnn", 1, 2) for _ in range(3)], config)  # doctest: +SKIP
        >>> stacked.model(1).state_dict().keys() == stacked.template.state_dict().keys()  # doctest: +SKIP
        True
    """

    def __init__(self, models: list[SubtypeModel], config: TrainConfig, vectorised: bool | None = None):
        self.k = len(models)
        self.vectorised = model_device(models[0]).type != "cpu" if vectorised is None else vectorised
        self.params, self.buffers = stack_module_state(models)
        # trial by trial: each trial's parameters as leaves sharing the stacked storage, so a trial's
        # backward fills only its own slice's gradient and the optimiser's updates reach every trial
        self.slices = [] if self.vectorised else [{name: p.detach()[k].requires_grad_() for name, p in
                                                   self.params.items()} for k in range(self.k)]  # fmt: skip
        self.template = copy.deepcopy(models[0])  # evaluation: one trial's weights loaded into it at a time
        self.base = copy.deepcopy(models[0]).to("meta")  # the architecture functional_call runs
        self.dropouts = [(name, m) for name, m in self.base.named_modules() if isinstance(m, TrialDropout)]
        body, head = parameter_groups(models[0])
        self.optimizer = adam([self.params[n] for n in body], [self.params[n] for n in head], config)

    def model(self, trial: int) -> SubtypeModel:
        """The ``trial``-th model (a copy of its weights in the evaluation template)."""
        self.template.load_state_dict(self.state(trial))
        return self.template

    def state(self, trial: int) -> dict[str, torch.Tensor]:
        """The ``trial``-th model's state dict (what its sequential trial would save)."""
        stacked = {**self.params, **self.buffers}
        return {key: stacked[key][trial].detach().clone() for key in self.template.state_dict()}

    def load(self, trial: int, state: dict[str, torch.Tensor]) -> None:
        """Put a saved model state into the ``trial``-th slice."""
        with torch.no_grad():
            for key, value in state.items():
                (self.params.get(key) if key in self.params else self.buffers[key])[trial].copy_(value)

    def optimizer_state(self, trial: int) -> dict:
        """The ``trial``-th slice of the Adam state, in the layout of a sequential trial's optimiser."""
        full = self.optimizer.state_dict()
        state = {i: {name: value[trial].clone() if value.dim() else value.clone() for name, value in s.items()}
                 for i, s in full["state"].items()}  # fmt: skip
        return {"state": state, "param_groups": full["param_groups"]}

    def load_optimizer_states(self, states: list[dict]) -> None:
        """Stack the trials' saved Adam states (all at the same step) into the batched optimiser."""
        first = states[0]
        stacked = {i: {name: torch.stack([s["state"][i][name] for s in states]) if value.dim() else value
                       for name, value in entry.items()} for i, entry in first["state"].items()}  # fmt: skip
        self.optimizer.load_state_dict({"state": stacked, "param_groups": first["param_groups"]})

    def dropout_masks(self, generators: list[torch.Generator], batch: int, device: torch.device) -> dict:
        """Each dropout layer's scaled keep-masks for one step, (K, batch, features), drawn from each
        trial's generator as ``torch.nn.functional.dropout`` draws them, in the forward pass's order."""
        masks = {f"{name}.mask": [] for name, _ in self.dropouts}
        for generator in generators:
            for name, layer in self.dropouts:
                keep = 1 - layer.p
                if layer.p == 0:  # dropout with p = 0 draws nothing
                    mask = torch.ones(batch, layer.features, device=device)
                else:
                    mask = torch.empty(batch, layer.features, device=device).bernoulli_(keep, generator=generator)
                    mask = mask.div_(keep)
                masks[f"{name}.mask"].append(mask)
        return {name: torch.stack(values) for name, values in masks.items()}

    def forward(self, images: torch.Tensor, scna: torch.Tensor | None, masks: dict) -> tuple:
        """Logits (K, B, classes) and, for MTL, segmentation logits (K, B, classes, *size)."""
        segment = self.base.decoder is not None

        def one_trial(params, buffers, image, scna_one):
            out = functional_call(self.base, (params, buffers), (image, scna_one), {"segment": segment})
            return (out.logits, out.seg_logits) if segment else (out.logits,)

        scna_dims = 0 if scna is not None else None
        batched = vmap(one_trial, in_dims=(0, 0, 0, scna_dims), randomness="error")  # no random op inside
        return batched(self.params, {**self.buffers, **masks}, images, scna)

    def train_step(self, batches: list[dict], generators: list[torch.Generator], weights: LossWeights,
                   device: torch.device, mixed: bool) -> list[LossParts]:
        """One optimiser step of every trial on its own loader batch (Eq. 1 per trial, summed).
        Returns each trial's loss parts."""
        # augmented there; channels-last has no 6-D layout
        batches = [batch_on_device(b, device, False) for b in batches]
        masks = self.dropout_masks(generators, len(batches[0]["image"]), device)
        if not self.vectorised:
            return self._train_step_per_trial(batches, masks, weights, device, mixed)
        images = torch.stack([b["image"] for b in batches])
        scna = torch.stack([b["scna"] for b in batches]) if self.base.scna is not None else None
        with autocast(device, mixed):
            outputs = self.forward(images, scna, masks)
        parts = [batch_loss((outputs[0][k], outputs[1][k] if len(outputs) > 1 else None), b, weights)
                 for k, b in enumerate(batches)]  # fmt: skip
        optimiser_step(torch.stack([p.total for p in parts]).sum(), self.optimizer)
        return parts

    def _train_step_per_trial(self, batches: list[dict], masks: dict, weights: LossWeights,
                              device: torch.device, mixed: bool) -> list[LossParts]:
        """The same step one trial after another on each trial's slice of the stacked state."""
        parts = []
        segment = self.base.decoder is not None
        for k, batch in enumerate(batches):
            buffers = {name: b[k] for name, b in {**self.buffers, **masks}.items()}
            scna = batch["scna"] if self.base.scna is not None else None
            with autocast(device, mixed):
                out = functional_call(self.base, (self.slices[k], buffers), (batch["image"], scna),
                                      {"segment": segment})
            part = batch_loss(out, batch, weights)
            part.total.backward()  # frees this trial's graph before the next trial's forward
            parts.append(part)
        for name, stacked in self.params.items():  # the trials' gradients, stacked for the one Adam
            grads = [trial[name].grad for trial in self.slices]
            stacked.grad = None if grads[0] is None else torch.stack(grads)
            for trial in self.slices:
                trial[name].grad = None
        self.optimizer.step()
        return parts


def _trial_streams(run: RunContext, trials: list[int], evaluation: int, start: int,
                   stop: int) -> tuple[list[Iterator[dict]], list[torch.Generator]]:
    """Each trial's batches for one stretch, and a generator that continues its random stream
    where the sequential trial's first dropout would draw (after its loader took its seed)."""
    streams, generators = [], []
    for trial in trials:
        seed = run.config.trial_seed(trial)
        stretch_seed = seed_stretch(seed, evaluation)
        batches = update_batches(run.data.train, run.config.batch_size, seed, start, stop,
                                 unlabelled_per_batch=run.config.unlabelled_in_batch)  # fmt: skip
        first = next(batches, None)  # starting the loader takes its seed from torch's stream
        generator = torch.Generator(device=run.device)
        if run.device.type == "cpu":
            generator.set_state(torch.get_rng_state())
        else:  # the device's own generator: the same distribution, not the CPU trial's masks
            generator.manual_seed(stretch_seed)
        streams.append(itertools.chain([] if first is None else [first], batches))
        generators.append(generator)
    return streams, generators


def _train_stretch(stacked: StackedTrials, run: RunContext, trials: list[int], evaluation: int) -> list[dict]:
    """The updates of one evaluation interval for every trial; returns each trial's mean losses."""
    points = run.config.evaluation_points()
    start, stop = (points[evaluation - 1] if evaluation else 0), points[evaluation]
    streams, generators = _trial_streams(run, trials, evaluation, start, stop)
    losses = [LossMeans() for _ in trials]
    steps = tqdm(zip(*streams, strict=True), total=stop - start, leave=False, disable=not run.show_progress,
                 desc=f"trials {trials[0]}-{trials[-1]} updates {start}-{stop}")  # fmt: skip
    for batches in steps:
        parts = stacked.train_step(list(batches), generators, run.data.weights, run.device, run.mixed)
        for trial_losses, part in zip(losses, parts, strict=True):
            trial_losses.add(part)
    return [trial_losses.means(stop - start) for trial_losses in losses]


def _train_together(run: RunContext, trials: list[int], states: list[TrialState], vectorised: bool | None) -> None:
    """Train trials that stand at the same evaluation as one stacked model, to the end."""
    models = [initial_model(run, trial, False) for trial in trials]
    stacked = StackedTrials(models, run.config, vectorised)
    if states[0].model_state is not None:
        for k, state in enumerate(states):
            stacked.load(k, state.model_state)
        stacked.load_optimizer_states([state.optimizer_state for state in states])
    for evaluation in range(len(states[0].history), len(run.config.evaluation_points())):
        started = time.perf_counter()
        losses = _train_stretch(stacked, run, trials, evaluation)
        for k, trial in enumerate(trials):
            record_evaluation(run, trial, states[k], stacked.model(k), stacked.optimizer_state(k), losses[k], started)


def group_size(run: RunContext, trials: int, vectorised: bool | None) -> int:
    """How many trials to stack at once. Vmapped, a group holds every member's activations: its
    estimated peak (``core.cost_model``) stays under ``trial_group_memory_mb`` (on CUDA by default
    the device's memory less 20%). Trial by trial on the stacked state, one trial's activations
    exist at a time, so every trial joins one group."""
    if not (run.device.type != "cpu" if vectorised is None else vectorised):
        return trials
    cap = run.config.trial_group_memory_mb
    if cap is None and run.device.type == "cuda":
        cap = 0.8 * torch.cuda.get_device_properties(run.device).total_memory / 2**20
    if cap is None:
        return trials
    return min(trials, trials_per_group(run.config.model, run.config.shape, run.config.volumes_per_step, cap))


def run_trials_batched(run: RunContext, trials: list[int], vectorised: bool | None = None) -> list[pd.DataFrame]:
    """Train (or resume) ``trials`` as stacked models; returns each trial's per-evaluation metrics.
    ``vectorised``: see :class:`StackedTrials` (by default, vmapped on a GPU, trial by trial on a CPU).

    Trials are stacked in groups that fit the memory cap (:func:`group_size`), one group after
    another in this job. They resume from their own checkpoints; trials a kill left at different
    evaluations are brought to the end in groups that stand at the same one. Stale checkpoints
    stop the run as in :func:`trial.run_trial` (or are discarded when the run restarts).
    """
    states = {trial: resume_trial(run, trial) for trial in trials}
    size = group_size(run, len(trials), vectorised)
    by_position = sorted(trials, key=lambda t: len(states[t].history))
    for _, same in itertools.groupby(by_position, key=lambda t: len(states[t].history)):
        same = list(same)
        if len(states[same[0]].history) == len(run.config.evaluation_points()):
            continue
        for start in range(0, len(same), size):
            group = same[start:start + size]
            _train_together(run, group, [states[t] for t in group], vectorised)
    return [pd.DataFrame(states[trial].history) for trial in trials]
