# %% [markdown]
# (mislabeled)=
# # mislabeled
#
# Stub: this chapter is being written.

# %%
1 + 1
