# %% [markdown]
# (logistic_cg)=
# # logistic_cg
#
# Stub: this chapter is being written.

# %%
1 + 1
