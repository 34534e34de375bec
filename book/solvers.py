# %% [markdown]
# (solvers)=
# # solvers
#
# Stub: this chapter is being written.

# %%
1 + 1
